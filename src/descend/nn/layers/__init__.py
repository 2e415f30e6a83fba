"""The built-in layers, one family per module."""

from descend.nn.layers.base import KernelLayer, Layer
from descend.nn.layers.conv import Conv2D
from descend.nn.layers.core import Activation, Dropout, Flatten, dropout
from descend.nn.layers.dense import Dense
from descend.nn.layers.embedding import Embedding
from descend.nn.layers.normalization import BatchNorm, LayerNorm
from descend.nn.layers.pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D

__all__ = [
    "Activation", "AvgPool2D", "BatchNorm", "Conv2D", "Dense", "Dropout", "Embedding",
    "Flatten", "GlobalAvgPool2D", "KernelLayer", "Layer", "LayerNorm", "MaxPool2D", "dropout",
]
