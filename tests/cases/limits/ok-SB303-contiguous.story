model wan2.7-t2v
clip a
  shot [0-3s]: One
  shot [3-6s]: Two
