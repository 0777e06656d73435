#! SB301 3:8
model wan2.2-t2v-plus
clip a 6s
  Six seconds
