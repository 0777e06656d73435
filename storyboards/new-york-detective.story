# The vendor guide's wan2.6 multi-shot example: five 3-second shots in one 15-second clip.
# On wan2.6 the compiler sends shot_type "multi" and prompt_extend true for a multi-shot clip.
storyboard "紐約偵探"
model wan2.6-t2v
size 1280*720
language zh
prompt-extend on
watermark on

clip detective 15s
  一段緊張刺激的偵探追查故事,展現電影級敘事能力。
  shot [0-3s] 全景
    雨夜的紐約街頭,霓虹燈閃爍,一位身穿黑色風衣的偵探快步行走。
  shot [3-6s] 中景
    偵探進入一棟老舊建築,雨水打濕了他的外套,門在他身後緩緩關閉。
  shot [6-9s] 特寫
    偵探的眼神堅毅專註,遠處傳來警笛聲,他微微皺眉思考。
  shot [9-12s] 中景
    偵探在昏暗走廊中小心前行,手電筒照亮前方。
  shot [12-15s] 特寫
    偵探發現關鍵線索,臉上露出恍然大悟的表情。
