# Every clip within its own model's limits: the legacy clips give a `size` (which replaces the
# file's resolution and ratio); the wan2.7 clip uses the file's settings.
model wan2.7-t2v
resolution 720P
ratio 16:9
seed 42
clip opening 10s
  shot 4s wide: A lantern glows
  shot 6s close-up: A hand reaches
clip legacy 5s
  model wan2.2-t2v-plus
  size 832*480
  negative: blur, text
  watermark on
  A fox sleeps in the snow
scene chase
  model wan2.6-t2v
  size 1920*1080
  shot-mode multi
  language en
  shot 5s: A fox runs
  shot 5s: It leaps
