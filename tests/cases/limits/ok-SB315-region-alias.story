model wan2.1-t2v-plus
clip a 5s
  One
