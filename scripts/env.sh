# Sourced by the scripts: the virtualenv and the default reference-data folder.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$ROOT/.venv/bin:$PATH"
if [[ -z "${GEO_KTTT_DATA_DIR:-}" && -d "$ROOT/../shared/data" ]]; then
  export GEO_KTTT_DATA_DIR="$ROOT/../shared/data"
fi
