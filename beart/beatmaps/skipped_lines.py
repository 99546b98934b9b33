"""Warnings about the lines a reader skips in one file: the first few named each with its line, the rest counted once,
so that a file broken on every line tells what is wrong without flooding the terminal."""

MAX_NAMED_LINES = 10


class SkippedLines:
    """
    Collects a file's skipped-line warnings: `warn` logs the first `MAX_NAMED_LINES` as they come, and `close` names
    how many more there were.

    Args:
        where (`str`): names the file (and chart) in the closing message.
        log (`logging.Logger`): the reader's module logger, which the warnings go to.
        what (`str`, *optional*, defaults to `"lines skipped"`): what is counted, for the closing message.
    """

    def __init__(self, where: str, log, what: str = "lines skipped"):
        self.where = where
        self.log = log
        self.what = what
        self.count = 0

    def warn(self, message: str) -> None:
        """Logs `message` (a skipped line, named by its file and line) if fewer than `MAX_NAMED_LINES` came before."""
        self.count += 1
        if self.count <= MAX_NAMED_LINES:
            self.log.warning(message)

    def close(self) -> None:
        """Names how many skipped lines went unnamed, if any."""
        if self.count > MAX_NAMED_LINES:
            self.log.warning(
                f"{self.where}: {self.count - MAX_NAMED_LINES} more {self.what} ({self.count} in all; the first "
                f"{MAX_NAMED_LINES} are named above)."
            )
