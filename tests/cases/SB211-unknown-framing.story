#! SB211 3:11
clip a 3s
  shot 3s trackin
    Running
