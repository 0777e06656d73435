model wan2.6-t2v
shot-mode single
size 1280*720
clip chase 5s
  shot 5s wide: the fox runs
clip dusk 5s
  model wan2.7-t2v
  resolution 720P
  shot 2s wide: the fox runs
  shot 3s close-up: the fox stops
