"""Uploading a saved BEaRT folder to the Hugging Face Hub in one commit, with everything beart writes beside the
weights.

transformers' `save_pretrained(push_to_hub=True)` uploads what it wrote itself, before beart writes the rest: the
Hub's repository got the weights and a `config.json` whose `auto_map` names code files it never got (so it loaded with
neither beart nor `trust_remote_code=True`), and transformers' empty card where beart's card (the songs and charts the
model learned from, with the credits their licences ask for) was to go; `push_to_hub` put that empty card over
beart's; and a pipeline's save pushed twice, the model's files before the processor's. Here every file is written
first, and the folder goes up once (`upload_saved_folder`).
"""

import os
import tempfile
from typing import Callable

from huggingface_hub import HfApi, ModelCard
from transformers.utils import logging


logger = logging.get_logger(__name__)

# The arguments of `save_pretrained(push_to_hub=True, ...)` and `push_to_hub(...)` that name the upload, not the save.
HUB_ARGUMENTS = ("repo_id", "commit_message", "commit_description", "private", "token", "create_pr", "revision", "tags")


def pop_hub_arguments(kwargs: dict) -> dict:
    """Takes the upload's arguments (`HUB_ARGUMENTS`) out of `save_pretrained`'s `kwargs` and returns them."""
    return {key: kwargs.pop(key) for key in HUB_ARGUMENTS if key in kwargs}


def file_times(folder) -> dict:
    """`{name: modification time}` of the files of `folder` (empty where it does not exist yet)."""
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        return {}
    return {entry.name: entry.stat().st_mtime_ns for entry in os.scandir(folder) if entry.is_file()}


def upload_saved_folder(
    folder, before: dict | None = None, *, repo_id: str | None = None, commit_message: str | None = None,
    commit_description: str | None = None, private: bool | None = None, token: bool | str | None = None,
    create_pr: bool = False, revision: str | None = None, tags: list[str] | str | None = None,
):  # fmt: skip
    """
    Uploads, in one commit, the files a save wrote into `folder`: those new or changed since `before`.

    Args:
        folder (`str` or `os.PathLike`): the saved folder.
        before (`dict`, *optional*): its `file_times` before the save; `None`: every file.
        repo_id (`str`, *optional*): the Hub repository (created if missing); defaults to the folder's name.
        commit_message, commit_description (`str`, *optional*): the commit's.
        private (`bool`, *optional*): for a repository created here.
        token (`bool` or `str`, *optional*): the Hub token.
        create_pr (`bool`, *optional*, defaults to `False`): open a pull request instead of committing.
        revision (`str`, *optional*): the branch to commit to (created if missing).
        tags (`list[str]` or `str`, *optional*): added to the card's (`README.md`) tags.

    Returns:
        `huggingface_hub.CommitInfo`: the commit.
    """
    folder = os.fspath(folder)
    api = HfApi()
    repo_id = repo_id or os.path.basename(os.path.normpath(os.path.abspath(folder)))
    repo_id = api.create_repo(repo_id, private=private, token=token, exist_ok=True).repo_id
    card_path = os.path.join(folder, "README.md")
    if tags and os.path.isfile(card_path):
        card = ModelCard.load(card_path)
        card.data.tags = list(dict.fromkeys([*(card.data.tags or []), *([tags] if isinstance(tags, str) else tags)]))
        card.save(card_path)
    before = before or {}
    changed = sorted(name for name, time in file_times(folder).items() if name not in before or time > before[name])
    if revision is not None and not revision.startswith("refs/pr"):
        api.create_branch(repo_id, branch=revision, token=token, exist_ok=True)
    logger.info(f"Uploading {len(changed)} files of {folder} to {repo_id} in one commit.")
    return api.upload_folder(
        repo_id=repo_id, folder_path=folder, allow_patterns=changed, commit_message=commit_message or "Upload model",
        commit_description=commit_description, token=token, create_pr=create_pr, revision=revision,
    )  # fmt: skip


def push_saved(save_pretrained: Callable[[str], object], repo_id: str, **hub):
    """
    `push_to_hub` for a BEaRT model or pipeline: `save_pretrained` into a temporary folder, then that folder uploaded
    in one commit (`upload_saved_folder`), its card beart's own.

    Args:
        save_pretrained (`Callable[[str], object]`): saves into the folder it is given.
        repo_id (`str`): the Hub repository.
        **hub: the upload's other arguments (`HUB_ARGUMENTS`).

    Returns:
        `huggingface_hub.CommitInfo`: the commit.
    """
    with tempfile.TemporaryDirectory() as folder:
        save_pretrained(folder)
        return upload_saved_folder(folder, repo_id=repo_id, **hub)


__all__ = ["HUB_ARGUMENTS", "file_times", "pop_hub_arguments", "push_saved", "upload_saved_folder"]
