#! SB317 4:8
model wan2.7-t2v
scene a
  shot 16s: One long take
  shot 3s: Two
