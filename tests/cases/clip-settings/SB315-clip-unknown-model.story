#! SB315 3:9
clip a 5s
  model wan2.7-t2v-plus
  One
