"""Compile the gettext catalogues into the built package.

The compiled ``django.mo`` files are build products (git-ignored), so a plain ``pip install .`` must make
them: otherwise the installed site is English. ``build_py`` writes each ``locale/*/LC_MESSAGES/*.po`` as
``.mo`` beside it in the build tree, with Babel (a build requirement in pyproject.toml) rather than GNU
``msgfmt``, which a machine that only has pip may lack. Editable installs use ``make messages``.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithCatalogues(build_py):
    def run(self):
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted(Path("sixcore").glob("locale/*/LC_MESSAGES/*.po")):
            target = Path(self.build_lib) / po.with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parts[-3])
            with target.open("wb") as out:
                write_mo(out, catalog)  # fuzzy entries are left out, as msgfmt does


setup(cmdclass={"build_py": BuildPyWithCatalogues})
