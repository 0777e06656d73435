#! SB319 4:3
model wan2.6-t2v-us
scene a
  shot 3s: One
  shot 3s: Two
