#! SB213 2:6
seed lucky
clip a 3s
  One
