#! SB316 6:8
seed 12
clip a 5s
  One
clip b 5s
  seed -3
  Two
