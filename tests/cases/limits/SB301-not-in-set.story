#! SB301 4:8
model wan2.6-t2v-us
region virginia
clip a 7s
  Seven seconds
