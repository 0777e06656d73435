#! SB220 6:3
model wan2.7-t2v
clip a 5s
  seed 7
  shot 5s wide: One
  watermark off
