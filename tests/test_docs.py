"""The documents are true to the repository: every reference to the product's statement names one of
its sections (docs/product.md, not a file outside the repository), and every link between documents
leads to a file that exists."""

from __future__ import annotations

import re
import subprocess

from dashboard.settings import PROJECT_ROOT

PRODUCT = PROJECT_ROOT / "docs" / "product.md"
OUTSIDE = "PRODUCT" + ".md"  # the brief kept outside the repository (written so to not cite it here)


def _tracked(*patterns: str) -> list:
    listed = subprocess.run(
        ["git", "ls-files", *patterns], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [PROJECT_ROOT / name for name in listed if (PROJECT_ROOT / name).is_file()]


def test_doc001_every_reference_to_the_product_names_one_of_its_sections():
    sections = {int(n) for n in re.findall(r"^## (\d+)\. ", PRODUCT.read_text(), flags=re.M)}
    assert sections == set(range(1, 11))
    offences = []
    for path in _tracked("*.py", "*.md", "*.js", "*.css", "Makefile"):
        text = path.read_text(errors="replace")
        if OUTSIDE in text:  # the brief outside the repository
            offences.append(f"{path.relative_to(PROJECT_ROOT)} cites {OUTSIDE}")
        for number in re.findall(r"product\.md\)? ?§(\d+)", text):
            if int(number) not in sections:
                offences.append(
                    f"{path.relative_to(PROJECT_ROOT)} cites §{number}, which docs/product.md lacks"
                )
    assert offences == []


def test_doc002_every_link_between_documents_leads_to_a_file():
    offences = []
    for path in _tracked("*.md"):
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (path.parent / target).exists():
                offences.append(f"{path.relative_to(PROJECT_ROOT)} links to {target}")
    assert offences == []
