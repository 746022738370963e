import ReproKit
print(Tensor([1,2,3]) + Tensor([1]))
