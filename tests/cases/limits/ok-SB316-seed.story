seed 2147483647
clip a 5s
  One
