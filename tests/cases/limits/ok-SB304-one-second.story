model wan2.7-t2v
clip a 5s
  shot 4s: One
  shot 1s: Two
