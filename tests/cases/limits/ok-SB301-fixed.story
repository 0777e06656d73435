model wan2.2-t2v-plus
clip a 5s
  Five seconds
