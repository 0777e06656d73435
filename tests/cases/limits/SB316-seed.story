#! SB316 2:6
seed 2147483648
clip a 5s
  One
