cast owl: owl
clip stray 3s
  Ignored
