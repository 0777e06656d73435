model wan2.6-t2v-us
clip a 10s
  Ten seconds
