"""The zh-Hant catalogue ships compiled in the package (issue #17): a plain ``pip install .`` must give
the site in 繁體中文, not English, and the compiled catalogue must be the reviewed ``.po`` as it is now."""

import gettext
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "sixcore/locale/zh_Hant/LC_MESSAGES/django.po"
MO_IN_WHEEL = "sixcore/locale/zh_Hant/LC_MESSAGES/django.mo"

pytestmark = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is needed")


def _catalog(data_path: Path) -> dict:
    with data_path.open("rb") as f:
        return dict(gettext.GNUTranslations(f)._catalog)


def test_the_wheel_carries_the_current_compiled_catalogue(tmp_path):
    build = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("sixcore-*.whl")
    with zipfile.ZipFile(wheel) as z:
        assert MO_IN_WHEEL in z.namelist()
        (tmp_path / "shipped.mo").write_bytes(z.read(MO_IN_WHEEL))
    msgfmt = shutil.which("msgfmt")
    subprocess.run([msgfmt, "-o", str(tmp_path / "reference.mo"), str(PO)], check=True)  # noqa: S603

    shipped, reference = _catalog(tmp_path / "shipped.mo"), _catalog(tmp_path / "reference.mo")
    # The header is rewritten by the compiler (Babel names itself); the plural rule must survive.
    assert "Plural-Forms: nplurals=1; plural=0;" in shipped.pop("")
    reference.pop("")
    assert shipped == reference
    assert shipped["Return for revision"] == "退回修正"
