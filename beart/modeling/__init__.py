from .configuration_beart import BeartConfig
from .modeling_beart import BeartModel, BeartOutput, BeartPreTrainedModel


__all__ = ["BeartConfig", "BeartModel", "BeartOutput", "BeartPreTrainedModel"]
