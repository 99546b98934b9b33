from setuptools import find_packages, setup


setup(
    name="beart",
    version="0.1.0",
    description="BEaRT: rhythm-game beatmaps from audio, as a Hugging Face model package",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["beart", "beart.*"]),
    package_data={"beart": ["default_model/*"]},
    install_requires=[
        "transformers>=5,<6",
        "torch>=2.4",
        "datasets>=3",
        "accelerate>=1.0",
        "safetensors>=0.4",
        "librosa>=0.10",
        "soundfile>=0.12",
        "numpy>=1.24",
        "pandas>=2",
        "pyarrow>=14",
        "tqdm>=4.60",
        "rosu-pp-py>=3",
    ],
    extras_require={
        "train": ["tensorboard>=2.14"],
        "evaluate": ["mir_eval>=0.7", "matplotlib>=3.7"],
        "demo": ["gradio>=5"],
        "tests": [
            "mir_eval>=0.7",
            "matplotlib>=3.7",
            "pytest>=8",
            "huggingface_hub>=0.30",
            "slider>=0.8",
            "simfile>=2.1",
            "setuptools<81",
            "tensorboard>=2.14",
        ],
    },
    entry_points={"console_scripts": ["beart=beart.cli:main"]},
)
