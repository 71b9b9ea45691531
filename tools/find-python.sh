#!/bin/sh
# Print the path of a Python >= 3.12 found on this machine, or fail.
# Tries python3.13, python3.12, python3, then interpreters installed through pyenv or uv.
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
for c in python3.14 python3.13 python3.12 python3; do
    p=$(command -v "$c" 2>/dev/null) || continue
    if ok "$p"; then "$p" -c 'import sys; print(sys.executable)'; exit 0; fi
done
if command -v pyenv >/dev/null 2>&1; then
    root=$(pyenv root)
    for p in $(ls -d "$root"/versions/3.1[2-9]* 2>/dev/null | sort -rV); do
        if ok "$p/bin/python3"; then echo "$p/bin/python3"; exit 0; fi
    done
fi
if command -v uv >/dev/null 2>&1; then
    p=$(uv python find '>=3.12' 2>/dev/null) && ok "$p" && { echo "$p"; exit 0; }
fi
echo "no Python >= 3.12 found; install one (e.g. 'pyenv install 3.12') and retry" >&2
exit 1
