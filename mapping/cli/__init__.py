"""The ``bordermap`` command line: thin shells over ``mapping.layers`` and ``mapping.scoring``.

Every command takes ``--store PATH`` (env ``BORDERMAP_STORE``) and ``--lang en|fr``
(env ``BORDERMAP_LANG``).
"""

from __future__ import annotations

import click

from .demo import demo
from .export import export_cmd
from .layers import layers
from .project import init_cmd, project
from .scoring import ahp_cmd, score_cmd, sensitivity_cmd, shortlist_cmd


@click.group()
@click.version_option(package_name="bordermap")
def main() -> None:
    """bordermap: border posts, crossings, roads, settlements and population on G5 Sahel borders."""


main.add_command(init_cmd)
main.add_command(project)
main.add_command(layers)
main.add_command(demo)
for command in (score_cmd, ahp_cmd, sensitivity_cmd, shortlist_cmd, export_cmd):
    main.add_command(command)
