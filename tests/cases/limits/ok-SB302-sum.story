model wan2.7-t2v
clip a 6s
  shot 3s: One
  shot 3s: Two
