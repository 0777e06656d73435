model wan2.6-t2v
prompt-extend off
clip a 6s
  One shot
