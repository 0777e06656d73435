model wan2.7-t2v
clip short 2s
  A blink
