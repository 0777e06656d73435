#! SB319 5:3
model wan2.6-t2v-us
region virginia
scene a
  shot 3s: One
  shot 3s: Two
