"""Fine-tune BEaRT with transformers.Trainer on a corpus from `beart dataset build` (the same as `beart train`).

    python examples/train.py --corpus_dir corpus/ --output_dir my-beart --preset quaver --max_steps 1000
    python examples/train.py --corpus_dir corpus/ --output_dir tuned --model sedthh/BeatLearning --num_train_epochs 3
    torchrun --nproc_per_node 2 examples/train.py --corpus_dir corpus/ --output_dir my-beart --use_cpu true ...

Every TrainingArguments flag works (learning rate, epochs, evaluation and saving strategies, report_to tensorboard,
resume_from_checkpoint...), plus BEaRT's: --lr_decay exponential|scheduler, --lr_decay_gamma, --augment,
--early_stopping_patience. The output folder loads with AutoModel / AutoProcessor.from_pretrained.
"""

from dataclasses import dataclass, field

from transformers import HfArgumentParser

from beart.training import BeartTrainingArguments, train_beart
from beart.training.trainer import finish_distributed


@dataclass
class ScriptArguments:
    corpus_dir: str = field(metadata={"help": "a corpus from `beart dataset build`"})
    preset: str = field(default="quaver", metadata={"help": "quaver or crotchet, for a fresh model"})
    model: str | None = field(default=None, metadata={"help": "start from a model id, folder or original .pt"})
    overwrite: bool = field(default=False, metadata={"help": "train into an output_dir that holds files"})


def main() -> None:
    script, training = HfArgumentParser((ScriptArguments, BeartTrainingArguments)).parse_args_into_dataclasses()
    trainer = train_beart(
        script.corpus_dir,
        training,
        preset=None if script.model else script.preset,
        model_name_or_path=script.model,
        resume_from_checkpoint=training.resume_from_checkpoint,
        overwrite=script.overwrite,
    )
    if trainer.is_world_process_zero():
        print(f"saved to {training.output_dir} after {trainer.state.global_step} steps")
    finish_distributed()


if __name__ == "__main__":
    main()
