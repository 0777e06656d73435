model wan2.6-t2v-us
region virginia
clip a 10s
  Ten seconds
