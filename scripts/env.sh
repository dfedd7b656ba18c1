# Sourced by the scripts: the virtualenv, this checkout's code, and the data folder of a
# development machine.
#   GEO_KTTT_VENV      a virtualenv to use instead of .venv (scripts/setup installs nothing into it)
#   GEO_KTTT_DATA_DIR  kept when set; else ../shared/data when it exists (developers, CI): its
#                      files, e.g. the development-only commune polygons, overlay the bundled ones.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="${GEO_KTTT_VENV:-$ROOT/.venv}/bin:$PATH"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
if [[ -z "${GEO_KTTT_DATA_DIR:-}" && -d "$ROOT/../shared/data" ]]; then
  export GEO_KTTT_DATA_DIR="$ROOT/../shared/data"
fi
