#! SB301 3:8
model wan2.6-t2v-us
clip a 7s
  Seven seconds
