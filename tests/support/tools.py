"""Paths of the Go tools that `make tools` builds into the project's .tools directory."""
from pathlib import Path

TOOLS_BIN = Path(__file__).resolve().parents[2] / ".tools" / "bin"


def tool(name: str) -> str:
    path = TOOLS_BIN / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make tools`")
    return str(path)
