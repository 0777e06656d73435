# A shot scale the table does not know: the closest ones are offered, nothing is guessed.
#! SB211 4:11
clip a 5s
  shot 5s 中特寫
    雨夜的街頭
