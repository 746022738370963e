// Plugins and the host `import ReproKit` and get the whole kit.
@_exported import TensorCore
@_exported import NN
@_exported import Data
