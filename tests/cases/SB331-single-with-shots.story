#! SB331 3:11
model wan2.6-t2v
shot-mode single
size 1280*720
clip chase 6s
  shot 3s wide: the fox runs
  shot 3s close-up: the fox stops
