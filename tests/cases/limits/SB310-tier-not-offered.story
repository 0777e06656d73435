#! SB310 3:6
model wanx2.1-t2v-plus
size 832*480
clip a 5s
  One
