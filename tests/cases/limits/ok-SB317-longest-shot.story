model wan2.7-t2v
scene a
  shot 15s: One long take
  shot 3s: Two
