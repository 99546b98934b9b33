"""Training for a length of time instead of a number of steps (a lent machine for a fixed number of minutes)."""

import time

from transformers import TrainerCallback
from transformers.utils import logging


logger = logging.get_logger(__name__)


class TimeBudgetCallback(TrainerCallback):
    """
    Stops training once `minutes` have passed since training began, and keeps a checkpoint at `saves` evenly spaced
    moments of that time (the last one at the stop), so that a run whose speed is not known ahead still leaves
    checkpoints along its way to choose the training length from. The learning rate follows the steps actually taken.

    Args:
        minutes (`float`): the time training may take.
        saves (`int`, *optional*, defaults to 0): checkpoints kept over the time (0: none beside the trainer's own
            `save_strategy`).
        clock (`Callable[[], float]`, *optional*, defaults to `time.monotonic`): the clock read, in seconds.
    """

    def __init__(self, minutes: float, saves: int = 0, clock=time.monotonic):
        if minutes <= 0:
            raise ValueError(f"minutes must be positive, got {minutes}.")
        if saves < 0:
            raise ValueError(f"saves must be 0 or more, got {saves}.")
        self.seconds = 60.0 * minutes
        self.saves = saves
        self.clock = clock
        self.started = None
        self.saved = 0

    def on_train_begin(self, args, state, control, **kwargs):
        self.started = self.clock()
        self.saved = 0

    def on_step_end(self, args, state, control, **kwargs):
        elapsed = self.clock() - self.started
        if self.saves and elapsed >= self.seconds * (self.saved + 1) / self.saves:
            self.saved = min(self.saves, int(self.saves * elapsed / self.seconds))
            control.should_save = True
        if elapsed >= self.seconds:
            logger.warning(f"Stopping after {elapsed / 60:.1f} minutes, at step {state.global_step}.")
            control.should_training_stop = True
            control.should_save = control.should_save or bool(self.saves)
        return control


__all__ = ["TimeBudgetCallback"]
