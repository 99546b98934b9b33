"""A beatmap set: the difficulties (or charts) of one song and the files they share."""

from .intermediate import IntermediateBeatmap


class BeatmapSet:
    """
    The difficulties of one song in one container (an `.osz` archive, a song folder, a simfile).

    Subclasses set `path` (the container), `members` (the file names it holds) and `difficulty_names` (what `read`
    takes), and implement `read_bytes` and `read`.
    """

    path: str
    members: list
    difficulty_names: list

    def read_bytes(self, member: str) -> bytes:
        """The bytes of one file of the set."""
        raise NotImplementedError

    def read(self, difficulty_name: str, *, for_training: bool = True) -> IntermediateBeatmap:
        """One difficulty as an intermediate beatmap; refused maps raise `BeatmapRefusedError` when `for_training`."""
        raise NotImplementedError

    def find(self, filename: str) -> str | None:
        """The member a map names: file names are matched case-insensitively, with `\\` read as `/`."""
        wanted = filename.replace("\\", "/").strip().lower()
        return next((name for name in self.members if name.lower() == wanted), None) if wanted else None
