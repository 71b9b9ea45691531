"""zhuqi (驻企): plan programmes that station cadres in private firms.

The toolkit has two packages: :mod:`assign` (who goes where: optimal cadre-firm pairing)
and :mod:`sim` (how many are needed: a Mesa model of issues raised and solved). This
package holds the ``zhuqi`` command line.
"""

__version__ = "0.1.0"
