#! SB310 4:6
model wanx2.1-t2v-plus
region beijing
size 832*480
clip a 5s
  One
