# Shared by scripts/demo and scripts/test: Debian packages and the project's virtualenv.
# Sourced, not run. Works as root (CI) or as a user with sudo.

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "installing Debian packages: ${missing[*]}"
        $SUDO apt-get update -qq
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends "${missing[@]}"
    fi
}

ensure_venv() {
    # $1: pip extras spec, e.g. "." or ".[test]"
    local python="${PYTHON:-python3}"
    if ! "$python" -c "import ensurepip" 2>/dev/null; then apt_install python3-venv; fi
    if [ ! -x .venv/bin/python ]; then "$python" -m venv .venv; fi
    .venv/bin/python -m pip install -q --disable-pip-version-check -e "$1"
}
