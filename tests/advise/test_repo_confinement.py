"""`--from-repo` never reads outside the repository: not through links, not through `-r ../x`."""

from __future__ import annotations

from pathlib import Path

from stackwise.advise import infer_answers


def test_links_and_includes_out_of_the_repo_are_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret-reqs.txt").write_text("django\n", encoding="utf-8")
    (outside / "secret.py").write_text("import django\n", encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "requirements.txt").write_text("-r ../outside/secret-reqs.txt\nflask\n",
                                           encoding="utf-8")
    (repo / "requirements-dev.txt").symlink_to(outside / "secret-reqs.txt")
    (repo / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n",
                                 encoding="utf-8")
    (repo / "linked.py").symlink_to(outside / "secret.py")
    inferred = infer_answers(repo)
    text = repr(inferred)
    assert "flask" in text.lower()
    assert "django" not in text.lower()
