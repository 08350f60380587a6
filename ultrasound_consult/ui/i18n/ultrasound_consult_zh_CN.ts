<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name></name>
    <message>
        <source>Camera</source>
        <extracomment>A notice (not an error) stays this long. What the bridge&apos;s annotations signal carries: the scene&apos;s annotations, and the ids still waiting for the other side&apos;s ack. The call has ended and the window closed (the app shows its first screen again). A recording this side stopped is on disk (its folder), from the engine thread. The live marks and those not yet confirmed, as the engine last reported them (the window reads no engine state: it keeps what the bridge brings). Whether this side records (as the engine last reported it). The &quot;End the call?&quot; question while it is open (tests answer it).</extracomment>
        <translation>摄像头</translation>
    </message>
    <message>
        <source>Show or hide the second camera&apos;s picture</source>
        <translation>显示或隐藏第二摄像头的画面</translation>
    </message>
    <message>
        <source>Record</source>
        <translation>录制</translation>
    </message>
    <message>
        <source>Record this session for teaching and review; everyone sees that you do (Ctrl+R)</source>
        <translation>录制本次会诊用于教学和质控；所有参与者都会看到录制提示（Ctrl+R）</translation>
    </message>
    <message>
        <source>End call</source>
        <translation>结束会诊</translation>
    </message>
    <message>
        <source>No microphone in this call</source>
        <translation>本次通话没有麦克风</translation>
    </message>
    <message>
        <source>Reconnecting to the server… The video continues.</source>
        <extracomment>Text messages and the expert&apos;s opinion (ui/conversation.py).</extracomment>
        <translation>正在重新连接服务器… 视频仍在继续。</translation>
    </message>
    <message>
        <source>{name} left the call. Waiting for the station to come back.</source>
        <translation>{name} 已离开会诊。正在等待扫查端重新加入。</translation>
    </message>
    <message>
        <source>{name} left the call. Waiting for them to come back; you can end the call.</source>
        <translation>{name} 已离开会诊。正在等待对方重新加入；您也可以结束会诊。</translation>
    </message>
    <message>
        <source>Not calibrated</source>
        <translation>未校准</translation>
    </message>
    <message>
        <source>Measurements show pixels. Calibrate on the depth scale (K).</source>
        <translation>测量值以像素显示。请在深度标尺上校准（K）。</translation>
    </message>
    <message>
        <source>from the scanner</source>
        <translation>来自超声设备</translation>
    </message>
    <message>
        <source>calibrated by {name}</source>
        <translation>由 {name} 校准</translation>
    </message>
    <message>
        <source>test picture</source>
        <translation>测试图像</translation>
    </message>
    <message>
        <source>Scale {mm:.3f} mm/px</source>
        <translation>比例 {mm:.3f} 毫米/像素</translation>
    </message>
    <message>
        <source>Network weak: sending {lines} lines at {fps} frames per second.</source>
        <extracomment>How much history the panel keeps and plots. A drop must last this long before the user is told (a one-second blip is noise) ... ... and a recovery this long before the all-clear.</extracomment>
        <translation>网络较弱：正在以 {lines} 行、每秒 {fps} 帧发送。</translation>
    </message>
    <message>
        <source>Network weak: sending {fps} frames per second, full detail.</source>
        <translation>网络较弱：正在以每秒 {fps} 帧发送，细节完整。</translation>
    </message>
    <message>
        <source>Network weak: sending {lines} lines to keep the image moving.</source>
        <translation>网络较弱：正在以 {lines} 行发送，以保证图像流畅。</translation>
    </message>
    <message>
        <source>Network weak: lowering quality to keep the image moving.</source>
        <translation>网络较弱：正在降低画质，以保证图像流畅。</translation>
    </message>
    <message>
        <source>Network weak: the expert&apos;s picture may be less sharp or jerky for a while.</source>
        <translation>网络较弱：专家看到的图像可能暂时不够清晰或有卡顿。</translation>
    </message>
    <message>
        <source>Network weak: the picture may be less sharp or jerky for a while.</source>
        <translation>网络较弱：图像可能暂时不够清晰或有卡顿。</translation>
    </message>
    <message>
        <source>The network has recovered: full quality again.</source>
        <translation>网络已恢复：画质已恢复正常。</translation>
    </message>
    <message>
        <source>Connection details and graphs over the last minutes</source>
        <translation>连接详情及最近几分钟的曲线图</translation>
    </message>
    <message>
        <source>No connection yet</source>
        <translation>尚未连接</translation>
    </message>
    <message>
        <source>Good</source>
        <extracomment>A link this bad is &quot;poor&quot; (red): the trainee misses what is shown.</extracomment>
        <translation>良好</translation>
    </message>
    <message>
        <source>Fair</source>
        <translation>一般</translation>
    </message>
    <message>
        <source>Poor</source>
        <translation>较差</translation>
    </message>
    <message>
        <source>{ms:.0f} ms</source>
        <translation>{ms:.0f} 毫秒</translation>
    </message>
    <message>
        <source>loss {pct:.1f}%</source>
        <translation>丢包 {pct:.1f}%</translation>
    </message>
    <message>
        <source>Round trip (ms)</source>
        <extracomment>Who is in the call, with role and link quality (see CallWindow.people).</extracomment>
        <translation>往返时延（毫秒）</translation>
    </message>
    <message>
        <source>Loss (%)</source>
        <translation>丢包率（%）</translation>
    </message>
    <message>
        <source>Bitrate (Mbit/s)</source>
        <translation>码率（Mbit/s）</translation>
    </message>
    <message>
        <source>Frames per second</source>
        <translation>帧率（帧/秒）</translation>
    </message>
    <message>
        <source>seconds ago</source>
        <translation>秒前</translation>
    </message>
    <message>
        <source>In the call:</source>
        <translation>会诊中：</translation>
    </message>
    <message>
        <source>Round trip {ms:.0f} ms</source>
        <translation>往返时延 {ms:.0f} 毫秒</translation>
    </message>
    <message>
        <source>{mbps:.1f} Mbit/s</source>
        <translation>{mbps:.1f} Mbit/s</translation>
    </message>
    <message>
        <source>{fps:.0f} fps</source>
        <translation>{fps:.0f} 帧/秒</translation>
    </message>
    <message>
        <source>marks confirmed in {ms:.0f} ms</source>
        <translation>标注确认用时 {ms:.0f} 毫秒</translation>
    </message>
    <message>
        <source>Messages</source>
        <extracomment>The user wrote a message to send.</extracomment>
        <translation>消息</translation>
    </message>
    <message>
        <source>Text messages with everyone in the call</source>
        <translation>与通话中所有人的文字消息</translation>
    </message>
    <message>
        <source>Opinion</source>
        <translation>意见</translation>
    </message>
    <message>
        <source>The expert&apos;s written opinion: read, print, save</source>
        <translation>专家的书面意见：查看、打印、保存</translation>
    </message>
    <message>
        <source>{name} ({role}) — you</source>
        <translation>{name}（{role}）— 您</translation>
    </message>
    <message>
        <source>Messages ({n})</source>
        <translation>消息（{n}）</translation>
    </message>
    <message>
        <source>{name}: {text}</source>
        <translation>{name}：{text}</translation>
    </message>
    <message>
        <source>{who} sent an opinion (version {n}): open it with the Opinion button.</source>
        <translation>{who} 发来了书面意见（第 {n} 版）：请点击“意见”按钮查看。</translation>
    </message>
    <message>
        <source>Recording saved to {folder}</source>
        <translation>录制已保存到 {folder}</translation>
    </message>
    <message>
        <source>REC: {names}</source>
        <translation>录制中：{names}</translation>
    </message>
    <message>
        <source>Stop recording</source>
        <translation>停止录制</translation>
    </message>
    <message>
        <source>No microphone</source>
        <translation>无麦克风</translation>
    </message>
    <message>
        <source>Muted — click to talk</source>
        <translation>已静音 — 点击说话</translation>
    </message>
    <message>
        <source>The others cannot hear you (Ctrl+M)</source>
        <translation>对方听不到您的声音（Ctrl+M）</translation>
    </message>
    <message>
        <source>Microphone on</source>
        <translation>麦克风已开</translation>
    </message>
    <message>
        <source>Click to mute your microphone (Ctrl+M)</source>
        <translation>点击将麦克风静音（Ctrl+M）</translation>
    </message>
    <message>
        <source>The microphone sends no sound. Check it, or choose another one in Settings.</source>
        <translation>麦克风没有声音。请检查麦克风，或在设置中选择其他麦克风。</translation>
    </message>
    <message>
        <source>{w}×{h} · {fps:.0f} fps</source>
        <translation>{w}×{h} · {fps:.0f} 帧/秒</translation>
    </message>
    <message>
        <source>End the call? The others stay in the room and can wait for you.</source>
        <translation>结束会诊？其他人仍留在房间内，可以等待您回来。</translation>
    </message>
    <message>
        <source>Stay in the call</source>
        <translation>留在会诊中</translation>
    </message>
    <message>
        <source>Station — ultrasound-consult</source>
        <translation>扫查端 — 超声远程会诊</translation>
    </message>
    <message>
        <source>Switch source…</source>
        <translation>切换视频来源…</translation>
    </message>
    <message>
        <source>Carry on from another video source without ending the call</source>
        <translation>改用其他视频来源，会诊不中断</translation>
    </message>
    <message>
        <source>Clear marks</source>
        <translation>清除标注</translation>
    </message>
    <message>
        <source>Take every mark off the image, for everyone</source>
        <translation>清除图像上的所有标注（所有人可见）</translation>
    </message>
    <message>
        <source>Done ✓  (Space)</source>
        <translation>已完成 ✓（空格）</translation>
    </message>
    <message>
        <source>Can&apos;t ✗  (Backspace)</source>
        <translation>做不到 ✗（退格）</translation>
    </message>
    <message>
        <source>The expert asks — answer when you have done it</source>
        <extracomment>The &quot;Switch source&quot; dialog while it is open (tests drive it). &quot;Lecture: N watching&quot; while the call is a lecture.</extracomment>
        <translation>专家的指示 — 完成后请回应</translation>
    </message>
    <message>
        <source>Choose a DICOM or video file</source>
        <extracomment>Suffixes read as video files; anything else is tried as DICOM (often no suffix).</extracomment>
        <translation>选择 DICOM 或视频文件</translation>
    </message>
    <message>
        <source>DICOM or video (*.dcm *.DCM *.mp4 *.mov *.avi *.mkv *.m4v);;All files (*)</source>
        <translation>DICOM 或视频 (*.dcm *.DCM *.mp4 *.mov *.avi *.mkv *.m4v);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Switch source</source>
        <translation>切换视频来源</translation>
    </message>
    <message>
        <source>Carry on from this source (the call goes on):</source>
        <translation>改用此来源继续（会诊不中断）：</translation>
    </message>
    <message>
        <source>File…</source>
        <translation>文件…</translation>
    </message>
    <message>
        <source>A DICOM image or cine, or a video file</source>
        <translation>DICOM 图像或电影，或视频文件</translation>
    </message>
    <message>
        <source>This is what the expert will see: check that no name shows.</source>
        <translation>这就是专家将看到的画面：请确认没有显示姓名。</translation>
    </message>
    <message>
        <source>Expert — ultrasound-consult</source>
        <translation>专家端 — 超声远程会诊</translation>
    </message>
    <message>
        <source>Click to mark · drag to draw an arrow</source>
        <extracomment>The lecture&apos;s controls for a trainer or a trainee (ui/lecture_view.py).</extracomment>
        <translation>单击标记 · 拖动画箭头</translation>
    </message>
    <message>
        <source>Watching (observers cannot draw)</source>
        <extracomment>The live marks on screen when the frame was frozen: shown on it, sent with it.</extracomment>
        <translation>观看中（观摩者不能标注）</translation>
    </message>
    <message>
        <source>Refresh picture</source>
        <extracomment>The station&apos;s answer to a cue stays on the expert&apos;s image this long.</extracomment>
        <translation>刷新画面</translation>
    </message>
    <message>
        <source>Ask the station for a fresh full picture (when the image looks smeared)</source>
        <translation>请扫查端发送一幅完整的新画面（图像出现拖影时使用）</translation>
    </message>
    <message>
        <source>Write opinion…</source>
        <translation>书写意见…</translation>
    </message>
    <message>
        <source>Findings, impression and recommendation, signed and left at the clinic</source>
        <translation>所见、印象和建议，签名后留存在诊所</translation>
    </message>
    <message>
        <source>The station and the expert choose the quality</source>
        <translation>画质由扫查端和专家选择</translation>
    </message>
    <message>
        <source>Ask the station to send at another quality</source>
        <translation>请扫查端改用其他画质发送</translation>
    </message>
    <message>
        <source>Waiting for video…</source>
        <translation>正在等待视频…</translation>
    </message>
    <message>
        <source>Drag to draw freehand</source>
        <translation>拖动以手绘</translation>
    </message>
    <message>
        <source>Drag to circle a structure</source>
        <translation>拖动以圈出结构</translation>
    </message>
    <message>
        <source>Drag to draw a box</source>
        <translation>拖动以画方框</translation>
    </message>
    <message>
        <source>Click where the text goes</source>
        <translation>单击放置文字的位置</translation>
    </message>
    <message>
        <source>Drag from one edge to the other to measure</source>
        <translation>从一侧边缘拖到另一侧进行测量</translation>
    </message>
    <message>
        <source>Drag a box around the structure to measure its area</source>
        <translation>拖动方框框住结构以测量面积</translation>
    </message>
    <message>
        <source>Drag between two marks of the depth scale</source>
        <translation>在深度标尺的两个刻度之间拖动</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>文字</translation>
    </message>
    <message>
        <source>Text to show on the image:</source>
        <translation>要显示在图像上的文字：</translation>
    </message>
    <message>
        <source>Calibrate</source>
        <translation>校准</translation>
    </message>
    <message>
        <source>Distance between the two marks, in millimetres:</source>
        <translation>两个刻度之间的距离（毫米）：</translation>
    </message>
    <message>
        <source>Frozen: draw on this frame, then Send frame (Enter)</source>
        <translation>已冻结：在此帧上绘制，然后发送画面（回车）</translation>
    </message>
    <message>
        <source>Station confirmed in {ms:.0f} ms</source>
        <translation>扫查端已确认（{ms:.0f} 毫秒）</translation>
    </message>
    <message>
        <source>Station refused: {reason}</source>
        <translation>扫查端拒绝：{reason}</translation>
    </message>
    <message>
        <source>Whole image (wheel to zoom)</source>
        <translation>完整图像（滚轮缩放）</translation>
    </message>
    <message>
        <source>Zoom {z:.1f}× (0: whole image)</source>
        <translation>放大 {z:.1f}×（按 0 显示完整图像）</translation>
    </message>
    <message>
        <source>Asked the station for a fresh picture.</source>
        <translation>已请扫查端发送新画面。</translation>
    </message>
    <message>
        <source>Asked the station to send at another quality.</source>
        <translation>已请扫查端改用其他画质。</translation>
    </message>
    <message>
        <source>Opinion signed and sent; the station confirms it.</source>
        <translation>意见已签名并发送，等待扫查端确认。</translation>
    </message>
    <message>
        <source>ultrasound-consult — join a consult</source>
        <extracomment>Which first-screen choice an invite&apos;s role belongs to. The station&apos;s source opened in the pre-call check (Join waits for one that does).</extracomment>
        <translation>超声远程会诊 — 加入会诊</translation>
    </message>
    <message>
        <source>Ultrasound consult</source>
        <translation>超声远程会诊</translation>
    </message>
    <message>
        <source>Live ultrasound guidance between a clinic and a remote expert</source>
        <translation>基层诊室与远程专家之间的实时超声指导</translation>
    </message>
    <message>
        <source>Language of the app</source>
        <translation>软件界面语言</translation>
    </message>
    <message>
        <source>About</source>
        <translation>关于</translation>
    </message>
    <message>
        <source>I am</source>
        <translation>我是</translation>
    </message>
    <message>
        <source>scanning a patient here</source>
        <translation>在本地为患者扫查</translation>
    </message>
    <message>
        <source>guiding the scan remotely</source>
        <translation>远程指导扫查</translation>
    </message>
    <message>
        <source>Trainer or trainee</source>
        <translation>带教老师或学员</translation>
    </message>
    <message>
        <source>teaching or watching</source>
        <translation>教学或观摩</translation>
    </message>
    <message>
        <source>QC reviewer</source>
        <translation>质控评审</translation>
    </message>
    <message>
        <source>replaying a recording</source>
        <translation>回放录像</translation>
    </message>
    <message>
        <source>Recent rooms</source>
        <translation>最近的房间</translation>
    </message>
    <message>
        <source>Double-click to join again while the code is valid</source>
        <translation>邀请码有效期内，双击即可再次加入</translation>
    </message>
    <message>
        <source>Join a consult</source>
        <translation>加入会诊</translation>
    </message>
    <message>
        <source>invite code or link</source>
        <translation>邀请码或链接</translation>
    </message>
    <message>
        <source>The code you were sent, e.g. clinic-12.E1KZ4M2P.7HXM-4QPA-9TKD-W3FN</source>
        <translation>您收到的邀请码，例如 clinic-12.E1KZ4M2P.7HXM-4QPA-9TKD-W3FN</translation>
    </message>
    <message>
        <source>as the others will see it</source>
        <translation>其他人看到的名字</translation>
    </message>
    <message>
        <source>Invite code</source>
        <translation>邀请码</translation>
    </message>
    <message>
        <source>QR code…</source>
        <translation>二维码…</translation>
    </message>
    <message>
        <source>Show the join link as a QR code for a phone</source>
        <translation>将加入链接显示为二维码，供手机扫描</translation>
    </message>
    <message>
        <source>Replay a recorded session with every mark and cue, score it and export it.</source>
        <translation>回放录制的会诊（含全部标注和指示），进行评分和导出。</translation>
    </message>
    <message>
        <source>Open a recording…</source>
        <translation>打开录像…</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Room</source>
        <translation>房间</translation>
    </message>
    <message>
        <source>Length</source>
        <translation>时长</translation>
    </message>
    <message>
        <source>Reviewed</source>
        <translation>已评审</translation>
    </message>
    <message>
        <source>Double-click to open</source>
        <translation>双击打开</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <source>People: {people}</source>
        <translation>参与者：{people}</translation>
    </message>
    <message>
        <source>Not closed properly (the app or the computer stopped)</source>
        <translation>未正常结束（程序或电脑中途停止）</translation>
    </message>
    <message>
        <source>Before you join</source>
        <translation>加入前检查</translation>
    </message>
    <message>
        <source>Choose the video source</source>
        <translation>请选择视频来源</translation>
    </message>
    <message>
        <source>Check that the patient&apos;s name is covered: this is what the expert will see.</source>
        <translation>请确认患者姓名已被遮盖：专家看到的就是这幅画面。</translation>
    </message>
    <message>
        <source>Drag on the picture to cover more; it is remembered for this source.</source>
        <translation>在画面上拖动可遮盖更多区域；会为此视频来源记住。</translation>
    </message>
    <message>
        <source>Uncover</source>
        <translation>取消遮盖</translation>
    </message>
    <message>
        <source>Forget the areas you covered for this source (the top band stays)</source>
        <translation>忘记为此视频来源遮盖的区域（顶部条带保留）</translation>
    </message>
    <message>
        <source>Network</source>
        <translation>网络</translation>
    </message>
    <message>
        <source>Test the connection</source>
        <translation>测试连接</translation>
    </message>
    <message>
        <source>Recordings are kept in {folder}</source>
        <translation>录像保存在 {folder}</translation>
    </message>
    <message>
        <source>code expired: ask for a new one</source>
        <translation>邀请码已过期：请索取新的邀请码</translation>
    </message>
    <message>
        <source>Rooms you join appear here.</source>
        <translation>您加入过的房间会显示在这里。</translation>
    </message>
    <message>
        <source>Code for: {role}, room {room}</source>
        <translation>邀请码对应：{role}，房间 {room}</translation>
    </message>
    <message>
        <source>expired</source>
        <translation>已过期</translation>
    </message>
    <message>
        <source>The code for room {room} has expired.</source>
        <translation>房间 {room} 的邀请码已过期。</translation>
    </message>
    <message>
        <source>Choose a video source that works first</source>
        <translation>请先选择一个可用的视频来源</translation>
    </message>
    <message>
        <source>Privacy mask</source>
        <translation>隐私遮挡</translation>
    </message>
    <message>
        <source>Type or paste the invite code exactly as you were given it.</source>
        <translation>请按收到的原样输入或粘贴邀请码。</translation>
    </message>
    <message>
        <source>Enter the server address your IT contact gave you.</source>
        <translation>请输入信息科提供的服务器地址。</translation>
    </message>
    <message>
        <source>This code expired at {when}.</source>
        <translation>此邀请码已于 {when} 过期。</translation>
    </message>
    <message>
        <source>Open a recording</source>
        <translation>打开录像</translation>
    </message>
    <message>
        <source>Video source</source>
        <translation>视频来源</translation>
    </message>
    <message>
        <source>Cue done</source>
        <translation>指示已完成</translation>
    </message>
    <message>
        <source>Cue done (foot pedal)</source>
        <translation>指示已完成（脚踏开关）</translation>
    </message>
    <message>
        <source>Cue can&apos;t be done</source>
        <translation>指示做不到</translation>
    </message>
    <message>
        <source>Cue can&apos;t be done (foot pedal)</source>
        <translation>指示做不到（脚踏开关）</translation>
    </message>
    <message>
        <source>Mute the microphone</source>
        <translation>麦克风静音</translation>
    </message>
    <message>
        <source>End the call</source>
        <translation>结束会诊</translation>
    </message>
    <message>
        <source>Zoom in</source>
        <translation>放大</translation>
    </message>
    <message>
        <source>Zoom out</source>
        <translation>缩小</translation>
    </message>
    <message>
        <source>Whole image</source>
        <translation>完整图像</translation>
    </message>
    <message>
        <source>Settings — ultrasound-consult</source>
        <translation>设置 — 超声远程会诊</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>跟随系统语言</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <source>General</source>
        <translation>常规</translation>
    </message>
    <message>
        <source>none (e.g. device:1 for a webcam)</source>
        <translation>无（例如摄像头为 device:1）</translation>
    </message>
    <message>
        <source>Ultrasound source</source>
        <translation>超声视频来源</translation>
    </message>
    <message>
        <source>Second camera</source>
        <translation>第二摄像头</translation>
    </message>
    <message>
        <source>Microphone</source>
        <translation>麦克风</translation>
    </message>
    <message>
        <source>Speaker</source>
        <translation>扬声器</translation>
    </message>
    <message>
        <source>Privacy masks are remembered per source in {path}.</source>
        <translation>每个视频来源的隐私遮挡保存在 {path}。</translation>
    </message>
    <message>
        <source>Devices</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Most foot pedals send Page Down / Page Up; press the pedal in a box to use it.</source>
        <translation>多数脚踏开关发送 Page Down / Page Up；在输入框中踩一下脚踏即可设置。</translation>
    </message>
    <message>
        <source>Shortcuts</source>
        <translation>快捷键</translation>
    </message>
    <message>
        <source>packaged</source>
        <translation>安装包版</translation>
    </message>
    <message>
        <source>Python {version}</source>
        <translation>Python {version}（源代码运行）</translation>
    </message>
    <message>
        <source>Join link as a QR code</source>
        <extracomment>Pixels per QR module, and the quiet zone around the code in modules (the standard&apos;s 4).</extracomment>
        <translation>加入链接二维码</translation>
    </message>
    <message>
        <source>Scan with a phone&apos;s camera to join with this invite.</source>
        <translation>用手机相机扫描，即可使用此邀请加入。</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Restore defaults</source>
        <translation>恢复默认</translation>
    </message>
    <message>
        <source>About ultrasound-consult</source>
        <translation>关于 超声远程会诊</translation>
    </message>
    <message>
        <source>Ultrasound consult {version}</source>
        <translation>超声远程会诊 {version}</translation>
    </message>
    <message>
        <source>Open, vendor-neutral remote ultrasound consultation and teaching. When something goes wrong, send the log file below to your IT contact: it holds the details (invite codes are masked in it).</source>
        <translation>开放、不依赖厂商的超声远程会诊与教学软件。出现问题时，请把下面的日志文件发给信息科：其中有详细信息（邀请码已做遮盖）。</translation>
    </message>
    <message>
        <source>App id</source>
        <translation>应用标识</translation>
    </message>
    <message>
        <source>Log file</source>
        <translation>日志文件</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Privacy masks</source>
        <translation>隐私遮挡</translation>
    </message>
    <message>
        <source>Recordings</source>
        <translation>录像</translation>
    </message>
    <message>
        <source>No further action</source>
        <translation>无需进一步处理</translation>
    </message>
    <message>
        <source>Follow-up scan</source>
        <translation>定期复查</translation>
    </message>
    <message>
        <source>Repeat the scan now</source>
        <translation>现在重新扫查</translation>
    </message>
    <message>
        <source>Refer</source>
        <translation>转诊</translation>
    </message>
    <message>
        <source>Refer urgently (today)</source>
        <translation>紧急转诊（今天）</translation>
    </message>
    <message>
        <source>Other (say what)</source>
        <translation>其他（请说明）</translation>
    </message>
    <message>
        <source>Clinic station</source>
        <translation>基层扫查端</translation>
    </message>
    <message>
        <source>Trainee</source>
        <translation>学员</translation>
    </message>
    <message>
        <source>Routine</source>
        <translation>常规</translation>
    </message>
    <message>
        <source>Soon</source>
        <translation>尽快</translation>
    </message>
    <message>
        <source>Urgent</source>
        <translation>紧急</translation>
    </message>
    <message>
        <source>Enroll this device</source>
        <translation>注册本设备</translation>
    </message>
    <message>
        <source>Enter the one-time code from your IT department. This computer then stays signed in to the consult service: experts can be called, and you can be called.</source>
        <translation>请输入信息科提供的一次性注册码。注册后本电脑将保持登录会诊服务：可以呼叫专家，也可以被呼叫。</translation>
    </message>
    <message>
        <source>Enrollment code</source>
        <translation>注册码</translation>
    </message>
    <message>
        <source>Enroll</source>
        <translation>注册</translation>
    </message>
    <message>
        <source>Enter the server and the code.</source>
        <translation>请输入服务器地址和注册码。</translation>
    </message>
    <message>
        <source>Enrolling…</source>
        <translation>正在注册…</translation>
    </message>
    <message>
        <source>Not enrolled: {reason}</source>
        <translation>未能注册：{reason}</translation>
    </message>
    <message>
        <source>Incoming call</source>
        <translation>来电</translation>
    </message>
    <message>
        <source>{caller} ({kind}) is calling</source>
        <translation>{caller}（{kind}）正在呼叫</translation>
    </message>
    <message>
        <source>For specialty: {name}</source>
        <translation>专科：{name}</translation>
    </message>
    <message>
        <source>A call to you</source>
        <translation>直接呼叫您</translation>
    </message>
    <message>
        <source>Site: {site}</source>
        <translation>机构：{site}</translation>
    </message>
    <message>
        <source>About the request: {exam} ({urgency}) — {question}</source>
        <translation>关于会诊申请：{exam}（{urgency}）— {question}</translation>
    </message>
    <message>
        <source>Accept</source>
        <translation>接听</translation>
    </message>
    <message>
        <source>Decline</source>
        <translation>拒绝</translation>
    </message>
    <message>
        <source>Stopped ringing: no answer in time.</source>
        <translation>已停止振铃：未及时接听。</translation>
    </message>
    <message>
        <source>Ringing: {seconds} s left</source>
        <translation>振铃中：剩余 {seconds} 秒</translation>
    </message>
    <message>
        <source>Leave a request</source>
        <translation>提交会诊申请</translation>
    </message>
    <message>
        <source>e.g. knee, second trimester</source>
        <translation>例如：膝关节、中孕期</translation>
    </message>
    <message>
        <source>Any</source>
        <translation>不限</translation>
    </message>
    <message>
        <source>The clinical question</source>
        <translation>临床问题</translation>
    </message>
    <message>
        <source>e.g. Friday afternoon</source>
        <translation>例如：周五下午</translation>
    </message>
    <message>
        <source>Never a patient&apos;s name: only your clinic&apos;s own number for the visit, which only your clinic can resolve.</source>
        <translation>切勿填写患者姓名：只填写本院的就诊编号，只有本院能据此查到患者。</translation>
    </message>
    <message>
        <source>Send the request</source>
        <translation>提交申请</translation>
    </message>
    <message>
        <source>The exam and the question are needed.</source>
        <translation>需要填写检查项目和问题。</translation>
    </message>
    <message>
        <source>The reference must be your clinic&apos;s number for the visit (letters, digits and - . / _, with at least one digit), never a name.</source>
        <translation>编号必须是本院的就诊编号（字母、数字及 - . / _，至少含一个数字），不能是姓名。</translation>
    </message>
    <message>
        <source>Duty hours</source>
        <translation>值班时间</translation>
    </message>
    <message>
        <source>On duty on these days and hours (UTC):</source>
        <translation>在以下日期和时间值班（UTC 时间）：</translation>
    </message>
    <message>
        <source>Monday</source>
        <translation>星期一</translation>
    </message>
    <message>
        <source>Tuesday</source>
        <translation>星期二</translation>
    </message>
    <message>
        <source>Wednesday</source>
        <translation>星期三</translation>
    </message>
    <message>
        <source>Thursday</source>
        <translation>星期四</translation>
    </message>
    <message>
        <source>Friday</source>
        <translation>星期五</translation>
    </message>
    <message>
        <source>Saturday</source>
        <translation>星期六</translation>
    </message>
    <message>
        <source>Sunday</source>
        <translation>星期日</translation>
    </message>
    <message>
        <source>Each day&apos;s end must be after its start.</source>
        <translation>每天的结束时间必须晚于开始时间。</translation>
    </message>
    <message>
        <source>Amend the opinion</source>
        <translation>修订意见</translation>
    </message>
    <message>
        <source>Write an opinion</source>
        <translation>书写意见</translation>
    </message>
    <message>
        <source>e.g. abdomen, obstetric, thyroid</source>
        <translation>例如：腹部、产科、甲状腺</translation>
    </message>
    <message>
        <source>The clinic&apos;s own reference; never a name</source>
        <translation>诊所自己的编号；切勿填写姓名</translation>
    </message>
    <message>
        <source>Details: where, when, what to repeat</source>
        <translation>说明：转往何处、何时、复查什么</translation>
    </message>
    <message>
        <source>Exam</source>
        <translation>检查项目</translation>
    </message>
    <message>
        <source>Specialty</source>
        <translation>专科</translation>
    </message>
    <message>
        <source>Question</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Preferred time</source>
        <translation>希望时间</translation>
    </message>
    <message>
        <source>Clinic reference</source>
        <translation>诊所编号</translation>
    </message>
    <message>
        <source>Findings</source>
        <translation>超声所见</translation>
    </message>
    <message>
        <source>Impression</source>
        <translation>超声提示</translation>
    </message>
    <message>
        <source>Recommendation</source>
        <translation>建议</translation>
    </message>
    <message>
        <source>Urgency</source>
        <translation>紧急程度</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Why amend</source>
        <translation>修订原因</translation>
    </message>
    <message>
        <source>Sign and send</source>
        <translation>签名并发送</translation>
    </message>
    <message>
        <source>Too long: {fields}</source>
        <translation>内容过长：{fields}</translation>
    </message>
    <message>
        <source>Write the findings or the impression.</source>
        <translation>请填写超声所见或超声提示。</translation>
    </message>
    <message>
        <source>Say why you amend it: the station keeps both versions.</source>
        <translation>请说明修订原因：扫查端会保留两个版本。</translation>
    </message>
    <message>
        <source>Say what you recommend in the details.</source>
        <translation>请在说明中写明您的建议。</translation>
    </message>
    <message>
        <source>Opinion from {who}</source>
        <translation>{who} 的意见</translation>
    </message>
    <message>
        <source>Save as PDF…</source>
        <translation>另存为 PDF…</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Consult</source>
        <translation>会诊</translation>
    </message>
    <message>
        <source>Signature verified</source>
        <translation>签名已验证</translation>
    </message>
    <message>
        <source>The signature does not match: do not rely on this copy</source>
        <translation>签名不符：请勿依据此副本</translation>
    </message>
    <message>
        <source>Ultrasound opinion</source>
        <translation>超声会诊意见</translation>
    </message>
    <message>
        <source>Version {n}</source>
        <translation>第 {n} 版</translation>
    </message>
    <message>
        <source>My name</source>
        <translation>我的名字</translation>
    </message>
    <message>
        <source>Join</source>
        <translation>加入</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Connecting to the server…</source>
        <extracomment>What marks a detail as meant for a developer, not a clinician: errno, library and device-index wording, addresses in tuples, exception names.</extracomment>
        <translation>正在连接服务器…</translation>
    </message>
    <message>
        <source>Waiting for an expert to join room {room}</source>
        <translation>等待专家加入房间 {room}</translation>
    </message>
    <message>
        <source>Waiting for the station to join room {room}</source>
        <translation>等待扫查端加入房间 {room}</translation>
    </message>
    <message>
        <source>Connecting video…</source>
        <translation>正在连接视频…</translation>
    </message>
    <message>
        <source>Connected to {name}</source>
        <translation>已连接：{name}</translation>
    </message>
    <message>
        <source>the other side</source>
        <translation>对方</translation>
    </message>
    <message>
        <source>Call ended</source>
        <translation>会诊已结束</translation>
    </message>
    <message>
        <source>The call could not start</source>
        <translation>会诊无法开始</translation>
    </message>
    <message>
        <source>Cannot reach the server. Check the address and the network.</source>
        <translation>无法连接服务器。请检查地址和网络。</translation>
    </message>
    <message>
        <source>The server address is not valid.</source>
        <translation>服务器地址无效。</translation>
    </message>
    <message>
        <source>The server did not accept the call.</source>
        <translation>服务器未接受本次会诊。</translation>
    </message>
    <message>
        <source>This room is full. Use another room code.</source>
        <translation>该房间已满。请使用其他房间号。</translation>
    </message>
    <message>
        <source>The server is busy. Try again in a minute.</source>
        <translation>服务器繁忙。请一分钟后再试。</translation>
    </message>
    <message>
        <source>Too many tries. Wait a minute, then join again.</source>
        <translation>尝试次数过多。请等一分钟后再加入。</translation>
    </message>
    <message>
        <source>The invite code was not accepted. Check it, or ask for a new one.</source>
        <translation>邀请码未被接受。请检查，或索取新的邀请码。</translation>
    </message>
    <message>
        <source>The invite code is wrong. Check it, or ask for a new one.</source>
        <translation>邀请码有误。请检查，或索取新的邀请码。</translation>
    </message>
    <message>
        <source>The invite code has expired. Ask the organiser for a new one.</source>
        <translation>邀请码已过期。请向组织者索取新的邀请码。</translation>
    </message>
    <message>
        <source>The invite code is for another room. Ask for a new one.</source>
        <translation>此邀请码属于其他房间。请索取新的邀请码。</translation>
    </message>
    <message>
        <source>The invite code is for another role. Ask for a new one.</source>
        <translation>此邀请码属于其他角色。请索取新的邀请码。</translation>
    </message>
    <message>
        <source>The server&apos;s certificate is not trusted. Ask your IT contact.</source>
        <translation>服务器证书不受信任。请联系信息科。</translation>
    </message>
    <message>
        <source>The server is older than this app and cannot serve it.</source>
        <translation>服务器版本比本软件旧，无法为本软件服务。</translation>
    </message>
    <message>
        <source>This app is older than the server and cannot join it.</source>
        <translation>本软件版本比服务器旧，无法加入。</translation>
    </message>
    <message>
        <source>More than 4 people are watching: the picture may get worse for everyone.</source>
        <translation>观看人数超过 4 人：所有人的图像质量都可能下降。</translation>
    </message>
    <message>
        <source>Cannot rejoin the server. End the call and join again.</source>
        <translation>无法重新连接服务器。请结束会诊后重新加入。</translation>
    </message>
    <message>
        <source>The station did not do what you asked for the lecture.</source>
        <translation>工作站未能执行您对讲课的操作。</translation>
    </message>
    <message>
        <source>Your question did not reach the trainer.</source>
        <translation>您的提问未送达讲师。</translation>
    </message>
    <message>
        <source>A trainer can press Start lecture: the picture then goes once to the lecture relay (SFU) and every trainee watches from there. If the server has no relay, ask your IT contact.</source>
        <translation>讲师可以点击“开始讲课”：图像只需上传一次到讲课转发服务器（SFU），所有学员从那里观看。如果服务器没有转发服务器，请联系您的 IT 人员。</translation>
    </message>
    <message>
        <source>The question panel says why. Ask again a little later, or raise your hand.</source>
        <translation>提问栏中写明了原因。请稍后再问，或举手。</translation>
    </message>
    <message>
        <source>The lecture relay cannot be reached.</source>
        <translation>无法连接讲课转发服务器。</translation>
    </message>
    <message>
        <source>Something went wrong. The details are in the log file (see About).</source>
        <translation>出现错误。详细信息在日志文件中（见“关于”）。</translation>
    </message>
    <message>
        <source>Trainer — ultrasound-consult</source>
        <translation>带教老师 — 超声远程会诊</translation>
    </message>
    <message>
        <source>Observer — ultrasound-consult</source>
        <translation>观摩者 — 超声远程会诊</translation>
    </message>
    <message>
        <source>{name} ({role}) left the call.</source>
        <translation>{name}（{role}）已离开会诊。</translation>
    </message>
    <message>
        <source>If the address is right, ask your IT contact whether the server is running.</source>
        <translation>如果地址正确，请询问您的信息科联系人服务器是否在运行。</translation>
    </message>
    <message>
        <source>Try again; if it keeps failing, ask your IT contact.</source>
        <translation>请重试；如果一直失败，请联系信息科。</translation>
    </message>
    <message>
        <source>Check the scanner&apos;s video cable and the capture card, or choose another source (Settings).</source>
        <translation>请检查超声设备的视频线和采集卡，或选择其他视频来源（设置）。</translation>
    </message>
    <message>
        <source>Ask your IT contact whether the network needs a relay (TURN) server.</source>
        <translation>请询问信息科，网络是否需要中继（TURN）服务器。</translation>
    </message>
    <message>
        <source>Check that a microphone is plugged in, or choose another one in Settings.</source>
        <translation>请检查麦克风是否已连接，或在设置中选择其他麦克风。</translation>
    </message>
    <message>
        <source>Check that a speaker or headset is plugged in, or choose another one in Settings.</source>
        <translation>请检查扬声器或耳机是否已连接，或在设置中选择其他设备。</translation>
    </message>
    <message>
        <source>Ask your IT contact to update the signalling server (ultrasound-consult-server) to this app&apos;s version, shown in About.</source>
        <translation>请联系信息科，把信令服务器（ultrasound-consult-server）升级到本软件的版本（见“关于”）。</translation>
    </message>
    <message>
        <source>Install the newer version of ultrasound-consult (ask your IT contact), then join again.</source>
        <translation>请安装新版 ultrasound-consult（联系信息科），然后重新加入。</translation>
    </message>
    <message>
        <source>Free some space, or record to another disk.</source>
        <translation>请释放磁盘空间，或录制到其他磁盘。</translation>
    </message>
    <message>
        <source>Leave the call and join again. If it keeps failing, tell the trainer: the server&apos;s lecture relay (SFU) may be down.</source>
        <translation>请退出通话后重新加入。如仍然失败，请告知讲师：服务器的讲课转发（SFU）可能已停止。</translation>
    </message>
    <message>
        <source>The details are in the log file (see About).</source>
        <translation>详细信息在日志文件中（见“关于”）。</translation>
    </message>
    <message>
        <source>The video source is in use by another program. Close it and try again.</source>
        <translation>视频来源正被其他程序占用。请关闭该程序后重试。</translation>
    </message>
    <message>
        <source>This app and the server are different versions. Update the app.</source>
        <translation>本软件与服务器版本不一致。请更新软件。</translation>
    </message>
    <message>
        <source>The video source cannot be opened.</source>
        <translation>无法打开视频来源。</translation>
    </message>
    <message>
        <source>The video source stopped. Check the cable, or choose another source.</source>
        <translation>视频来源已中断。请检查连接线，或选择其他来源。</translation>
    </message>
    <message>
        <source>Lost the connection to the server. The video continues.</source>
        <translation>与服务器的连接已断开。视频仍在继续。</translation>
    </message>
    <message>
        <source>The video connection failed. The network may block it.</source>
        <translation>视频连接失败。网络可能阻止了连接。</translation>
    </message>
    <message>
        <source>That cannot be done right now.</source>
        <translation>目前无法执行此操作。</translation>
    </message>
    <message>
        <source>The second camera cannot be opened. The ultrasound goes on.</source>
        <translation>无法打开第二摄像头。超声图像不受影响。</translation>
    </message>
    <message>
        <source>The second camera stopped. The ultrasound goes on.</source>
        <translation>第二摄像头已停止。超声图像不受影响。</translation>
    </message>
    <message>
        <source>No microphone: the others will not hear you.</source>
        <translation>没有麦克风：对方将听不到您的声音。</translation>
    </message>
    <message>
        <source>No speaker: you will not hear the others.</source>
        <translation>没有扬声器：您将听不到对方的声音。</translation>
    </message>
    <message>
        <source>Recording stopped: the disk is full. The call goes on.</source>
        <translation>录制已停止：磁盘已满。会诊继续进行。</translation>
    </message>
    <message>
        <source>Recording stopped. The call goes on.</source>
        <translation>录制已停止。会诊继续进行。</translation>
    </message>
    <message>
        <source>Diagnostic quality</source>
        <translation>诊断级画质</translation>
    </message>
    <message>
        <source>Balanced</source>
        <translation>均衡</translation>
    </message>
    <message>
        <source>Weak network</source>
        <translation>弱网模式</translation>
    </message>
    <message>
        <source>Station</source>
        <translation>扫查端</translation>
    </message>
    <message>
        <source>Expert</source>
        <translation>专家</translation>
    </message>
    <message>
        <source>Trainer</source>
        <translation>带教老师</translation>
    </message>
    <message>
        <source>Observer</source>
        <translation>观摩者</translation>
    </message>
    <message>
        <source>Probe guidance</source>
        <translation>探头指导</translation>
    </message>
    <message>
        <source>Angle</source>
        <extracomment>action, direction (or None), angle (or None), probe (or None), marker degrees</extracomment>
        <translation>角度</translation>
    </message>
    <message>
        <source>Send cue</source>
        <translation>发送指示</translation>
    </message>
    <message>
        <source>Ask for</source>
        <translation>请求</translation>
    </message>
    <message>
        <source>No cue sent yet</source>
        <translation>尚未发送指示</translation>
    </message>
    <message>
        <source>Withdraw cue</source>
        <translation>撤回指示</translation>
    </message>
    <message>
        <source>Slide</source>
        <translation>滑动</translation>
    </message>
    <message>
        <source>Sweep</source>
        <translation>扫查</translation>
    </message>
    <message>
        <source>Rock</source>
        <translation>摇摆</translation>
    </message>
    <message>
        <source>Tilt / fan</source>
        <translation>倾斜 / 扇扫</translation>
    </message>
    <message>
        <source>Rotate</source>
        <translation>旋转</translation>
    </message>
    <message>
        <source>Pressure</source>
        <translation>加压</translation>
    </message>
    <message>
        <source>Hold still</source>
        <translation>保持不动</translation>
    </message>
    <message>
        <source>Depth +</source>
        <translation>深度 +</translation>
    </message>
    <message>
        <source>Depth −</source>
        <translation>深度 −</translation>
    </message>
    <message>
        <source>Gain +</source>
        <translation>增益 +</translation>
    </message>
    <message>
        <source>Gain −</source>
        <translation>增益 −</translation>
    </message>
    <message>
        <source>Colour Doppler</source>
        <translation>彩色多普勒</translation>
    </message>
    <message>
        <source>Power Doppler</source>
        <translation>能量多普勒</translation>
    </message>
    <message>
        <source>Freeze</source>
        <translation>冻结</translation>
    </message>
    <message>
        <source>Save clip</source>
        <translation>保存片段</translation>
    </message>
    <message>
        <source>Toward head</source>
        <translation>向头侧</translation>
    </message>
    <message>
        <source>Toward feet</source>
        <translation>向足侧</translation>
    </message>
    <message>
        <source>Patient&apos;s left</source>
        <translation>患者左侧</translation>
    </message>
    <message>
        <source>Patient&apos;s right</source>
        <translation>患者右侧</translation>
    </message>
    <message>
        <source>Toward marker</source>
        <translation>朝向标记</translation>
    </message>
    <message>
        <source>Away from marker</source>
        <translation>背离标记</translation>
    </message>
    <message>
        <source>Clockwise</source>
        <translation>顺时针</translation>
    </message>
    <message>
        <source>Counter-clockwise</source>
        <translation>逆时针</translation>
    </message>
    <message>
        <source>Press harder</source>
        <translation>加大压力</translation>
    </message>
    <message>
        <source>Ease off</source>
        <translation>减轻压力</translation>
    </message>
    <message>
        <source>Slide the probe toward the patient&apos;s head</source>
        <translation>向患者头侧滑动探头</translation>
    </message>
    <message>
        <source>Slide the probe toward the patient&apos;s feet</source>
        <translation>向患者足侧滑动探头</translation>
    </message>
    <message>
        <source>Slide the probe to the patient&apos;s left</source>
        <translation>向患者左侧滑动探头</translation>
    </message>
    <message>
        <source>Slide the probe to the patient&apos;s right</source>
        <translation>向患者右侧滑动探头</translation>
    </message>
    <message>
        <source>Slide the probe toward its marker</source>
        <translation>朝探头标记方向滑动探头</translation>
    </message>
    <message>
        <source>Slide the probe away from its marker</source>
        <translation>背离探头标记方向滑动探头</translation>
    </message>
    <message>
        <source>Sweep slowly toward the patient&apos;s head</source>
        <translation>向患者头侧缓慢扫查</translation>
    </message>
    <message>
        <source>Sweep slowly toward the patient&apos;s feet</source>
        <translation>向患者足侧缓慢扫查</translation>
    </message>
    <message>
        <source>Sweep slowly to the patient&apos;s left</source>
        <translation>向患者左侧缓慢扫查</translation>
    </message>
    <message>
        <source>Sweep slowly to the patient&apos;s right</source>
        <translation>向患者右侧缓慢扫查</translation>
    </message>
    <message>
        <source>Sweep slowly toward the probe&apos;s marker</source>
        <translation>朝探头标记方向缓慢扫查</translation>
    </message>
    <message>
        <source>Sweep slowly away from the marker</source>
        <translation>背离探头标记方向缓慢扫查</translation>
    </message>
    <message>
        <source>Rock the probe toward its marker</source>
        <translation>将探头朝标记方向摇摆</translation>
    </message>
    <message>
        <source>Rock the probe away from its marker</source>
        <translation>将探头背离标记方向摇摆</translation>
    </message>
    <message>
        <source>Tilt the probe toward the patient&apos;s head</source>
        <translation>将探头向患者头侧倾斜</translation>
    </message>
    <message>
        <source>Tilt the probe toward the patient&apos;s feet</source>
        <translation>将探头向患者足侧倾斜</translation>
    </message>
    <message>
        <source>Tilt the probe to the patient&apos;s left</source>
        <translation>将探头向患者左侧倾斜</translation>
    </message>
    <message>
        <source>Tilt the probe to the patient&apos;s right</source>
        <translation>将探头向患者右侧倾斜</translation>
    </message>
    <message>
        <source>Tilt the probe toward its marker</source>
        <translation>将探头朝标记方向倾斜</translation>
    </message>
    <message>
        <source>Tilt the probe away from its marker</source>
        <translation>将探头背离标记方向倾斜</translation>
    </message>
    <message>
        <source>Rotate the probe clockwise</source>
        <translation>顺时针旋转探头</translation>
    </message>
    <message>
        <source>Rotate the probe counter-clockwise</source>
        <translation>逆时针旋转探头</translation>
    </message>
    <message>
        <source>Press harder with the probe</source>
        <translation>探头加大压力</translation>
    </message>
    <message>
        <source>Ease the pressure on the probe</source>
        <translation>减轻探头压力</translation>
    </message>
    <message>
        <source>Hold the probe still</source>
        <translation>保持探头不动</translation>
    </message>
    <message>
        <source>Increase the depth</source>
        <translation>增加深度</translation>
    </message>
    <message>
        <source>Decrease the depth</source>
        <translation>减小深度</translation>
    </message>
    <message>
        <source>Increase the gain</source>
        <translation>增加增益</translation>
    </message>
    <message>
        <source>Decrease the gain</source>
        <translation>降低增益</translation>
    </message>
    <message>
        <source>Turn on colour Doppler</source>
        <translation>打开彩色多普勒</translation>
    </message>
    <message>
        <source>Turn on power Doppler</source>
        <translation>打开能量多普勒</translation>
    </message>
    <message>
        <source>Freeze the image</source>
        <translation>冻结图像</translation>
    </message>
    <message>
        <source>Save a clip</source>
        <translation>保存一段片段</translation>
    </message>
    <message>
        <source>({deg:.0f}°)</source>
        <translation>（{deg:.0f}°）</translation>
    </message>
    <message>
        <source>sent</source>
        <translation>已发送</translation>
    </message>
    <message>
        <source>on the station&apos;s screen</source>
        <translation>已显示在扫查端</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>online</source>
        <translation>在线</translation>
    </message>
    <message>
        <source>on duty</source>
        <translation>值班中</translation>
    </message>
    <message>
        <source>busy</source>
        <translation>忙碌</translation>
    </message>
    <message>
        <source>in a call</source>
        <translation>会诊中</translation>
    </message>
    <message>
        <source>waiting for an expert</source>
        <translation>等待专家</translation>
    </message>
    <message>
        <source>taken</source>
        <translation>已受理</translation>
    </message>
    <message>
        <source>called back</source>
        <translation>已回拨</translation>
    </message>
    <message>
        <source>done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>Nobody is on duty for this now: leave a request, and an expert will call back.</source>
        <translation>目前该专科无人值班：请提交会诊申请，专家会回拨。</translation>
    </message>
    <message>
        <source>Everyone on duty is busy: try again in a few minutes, or leave a request.</source>
        <translation>值班专家都在忙：请几分钟后再试，或提交会诊申请。</translation>
    </message>
    <message>
        <source>Every expert called declined: leave a request, or try again later.</source>
        <translation>被呼叫的专家都已拒绝：请提交会诊申请，或稍后再试。</translation>
    </message>
    <message>
        <source>No answer: try again, or leave a request.</source>
        <translation>无人接听：请再试一次，或提交会诊申请。</translation>
    </message>
    <message>
        <source>The call was cancelled.</source>
        <translation>呼叫已取消。</translation>
    </message>
    <message>
        <source>Not connected now: leave a request, or call a specialty.</source>
        <translation>对方目前不在线：请提交会诊申请，或呼叫专科。</translation>
    </message>
    <message>
        <source>The server restarted while it was ringing: call again.</source>
        <translation>振铃时服务器重启了：请重新呼叫。</translation>
    </message>
    <message>
        <source>Ultrasound consult — experts and requests</source>
        <translation>超声远程会诊 — 专家与会诊申请</translation>
    </message>
    <message>
        <source>{name} ({kind})</source>
        <translation>{name}（{kind}）</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>Off duty</source>
        <translation>不值班</translation>
    </message>
    <message>
        <source>On duty</source>
        <translation>值班</translation>
    </message>
    <message>
        <source>Busy</source>
        <translation>忙碌</translation>
    </message>
    <message>
        <source>On duty in my hours</source>
        <translation>按我的值班时间</translation>
    </message>
    <message>
        <source>Duty hours…</source>
        <translation>值班时间…</translation>
    </message>
    <message>
        <source>Directory</source>
        <translation>通讯录</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>Site</source>
        <translation>机构</translation>
    </message>
    <message>
        <source>Specialties</source>
        <translation>专科</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Call an expert</source>
        <translation>呼叫专家</translation>
    </message>
    <message>
        <source>Call the selected person</source>
        <translation>呼叫所选人员</translation>
    </message>
    <message>
        <source>Invite the selected trainee</source>
        <translation>邀请所选学员</translation>
    </message>
    <message>
        <source>Hang up</source>
        <translation>挂断</translation>
    </message>
    <message>
        <source>Request queue</source>
        <translation>会诊申请队列</translation>
    </message>
    <message>
        <source>My requests</source>
        <translation>我的会诊申请</translation>
    </message>
    <message>
        <source>Clinic</source>
        <translation>基层机构</translation>
    </message>
    <message>
        <source>Leave a request…</source>
        <translation>提交会诊申请…</translation>
    </message>
    <message>
        <source>Take and call back</source>
        <translation>受理并回拨</translation>
    </message>
    <message>
        <source>Write opinion for the last call…</source>
        <extracomment>The call the expert may write for (the last one that ended), and what was sent.</extracomment>
        <translation>为上一次会诊书写意见…</translation>
    </message>
    <message>
        <source>Opinions received</source>
        <translation>已收到的意见</translation>
    </message>
    <message>
        <source>Opinion signed and sent; the clinic gets it as soon as it is online.</source>
        <translation>意见已签名并发送；诊所上线后即可收到。</translation>
    </message>
    <message>
        <source>{who} sent an opinion (version {n}): see Opinions received.</source>
        <translation>{who} 发来了书面意见（第 {n} 版）：请在“已收到的意见”中查看。</translation>
    </message>
    <message>
        <source>Opinions received ({n})</source>
        <translation>已收到的意见（{n}）</translation>
    </message>
    <message>
        <source>Experts and requests</source>
        <translation>专家与会诊申请</translation>
    </message>
    <message>
        <source>Status: {status}</source>
        <translation>状态：{status}</translation>
    </message>
    <message>
        <source>{name} took the call.</source>
        <translation>{name} 已接听。</translation>
    </message>
    <message>
        <source>It stopped ringing.</source>
        <translation>已停止振铃。</translation>
    </message>
    <message>
        <source>{name} declined; still ringing the others.</source>
        <translation>{name} 已拒绝；仍在呼叫其他专家。</translation>
    </message>
    <message>
        <source>In a call with {name}.</source>
        <translation>正在与 {name} 会诊。</translation>
    </message>
    <message>
        <source>Revoked or refused: enroll again</source>
        <translation>已被吊销或拒绝：请重新注册</translation>
    </message>
    <message>
        <source>Reconnecting…</source>
        <translation>正在重新连接…</translation>
    </message>
    <message>
        <source>Not signed in</source>
        <translation>未登录</translation>
    </message>
    <message>
        <source>Refused: {reason}</source>
        <translation>被拒绝：{reason}</translation>
    </message>
    <message>
        <source>Trainee invited: they join as an observer.</source>
        <translation>已邀请学员：学员将以观摩者身份加入。</translation>
    </message>
    <message>
        <source>Ringing {count} expert(s)…</source>
        <translation>正在呼叫 {count} 位专家…</translation>
    </message>
    <message>
        <source>{status} by {name}</source>
        <translation>{status}（{name}）</translation>
    </message>
    <message>
        <source>No specialty to call yet: nobody with one is enrolled.</source>
        <translation>暂无可呼叫的专科：尚无注册的专科专家。</translation>
    </message>
    <message>
        <source>Calling…</source>
        <translation>正在呼叫…</translation>
    </message>
    <message>
        <source>Select someone in the directory first.</source>
        <translation>请先在通讯录中选择一个人。</translation>
    </message>
    <message>
        <source>Select a trainee in the directory first.</source>
        <translation>请先在通讯录中选择一位学员。</translation>
    </message>
    <message>
        <source>Select a request first.</source>
        <translation>请先选择一条会诊申请。</translation>
    </message>
    <message>
        <source>can&apos;t do it</source>
        <translation>做不到</translation>
    </message>
    <message>
        <source>withdrawn</source>
        <translation>已撤回</translation>
    </message>
    <message>
        <source>replaced by a newer cue</source>
        <translation>已被新指示取代</translation>
    </message>
    <message>
        <source>R</source>
        <extracomment>One animation cycle.</extracomment>
        <translation>右</translation>
    </message>
    <message>
        <source>L</source>
        <translation>左</translation>
    </message>
    <message>
        <source>from {name}</source>
        <extracomment>Margin beside the image (each side) from which the cue goes beside it, not over it.</extracomment>
        <translation>来自 {name}</translation>
    </message>
    <message>
        <source>the expert</source>
        <translation>专家</translation>
    </message>
    <message>
        <source>Space: done   ·   Backspace: can&apos;t</source>
        <translation>空格：已完成   ·   退格：做不到</translation>
    </message>
    <message>
        <source>Click where the probe should be; turn the mouse wheel to turn its marker. Right-click to clear.</source>
        <translation>单击探头应放的位置；滚动鼠标滚轮转动探头标记。右键单击清除。</translation>
    </message>
    <message>
        <source>◀ Older</source>
        <translation>◀ 较早</translation>
    </message>
    <message>
        <source>Newer ▶</source>
        <translation>较新 ▶</translation>
    </message>
    <message>
        <source>Larger</source>
        <translation>放大查看</translation>
    </message>
    <message>
        <source>Open this frame in a window of its own</source>
        <translation>在单独的窗口中打开此帧</translation>
    </message>
    <message>
        <source>Save…</source>
        <translation>保存…</translation>
    </message>
    <message>
        <source>Keep this frame, with its marks, as a picture</source>
        <translation>将此帧连同标注保存为图片</translation>
    </message>
    <message>
        <source>Saved to {path}</source>
        <translation>已保存到 {path}</translation>
    </message>
    <message>
        <source>Could not save there. Choose another folder.</source>
        <translation>无法保存到该位置。请选择其他文件夹。</translation>
    </message>
    <message>
        <source>Hide</source>
        <translation>隐藏</translation>
    </message>
    <message>
        <source>Frame sent by {name}</source>
        <translation>{name} 发送的画面</translation>
    </message>
    <message>
        <source>Point</source>
        <translation>指示</translation>
    </message>
    <message>
        <source>Click to mark a spot, drag to draw an arrow</source>
        <translation>单击标记位置，拖动画箭头</translation>
    </message>
    <message>
        <source>Draw</source>
        <translation>手绘</translation>
    </message>
    <message>
        <source>Draw freehand</source>
        <translation>手绘</translation>
    </message>
    <message>
        <source>Ellipse</source>
        <translation>椭圆</translation>
    </message>
    <message>
        <source>Box</source>
        <translation>方框</translation>
    </message>
    <message>
        <source>Click where the text goes, then type it</source>
        <translation>单击放置文字的位置，然后输入文字</translation>
    </message>
    <message>
        <source>Caliper</source>
        <translation>测距</translation>
    </message>
    <message>
        <source>Drag to measure a distance</source>
        <translation>拖动测量距离</translation>
    </message>
    <message>
        <source>Area</source>
        <translation>面积</translation>
    </message>
    <message>
        <source>Drag a box around a structure to measure its ellipse area</source>
        <translation>拖动方框框住结构，测量其椭圆面积</translation>
    </message>
    <message>
        <source>Drag between two depth-scale marks, then type the distance</source>
        <translation>在深度标尺两个刻度之间拖动，然后输入距离</translation>
    </message>
    <message>
        <source>Colour {n}</source>
        <translation>颜色 {n}</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Undo your last change (Ctrl+Z)</source>
        <translation>撤销上一次修改（Ctrl+Z）</translation>
    </message>
    <message>
        <source>Redo</source>
        <translation>重做</translation>
    </message>
    <message>
        <source>Redo (Ctrl+Shift+Z)</source>
        <translation>重做（Ctrl+Shift+Z）</translation>
    </message>
    <message>
        <source>Clear mine</source>
        <translation>清除我的标记</translation>
    </message>
    <message>
        <source>Remove your marks (Delete)</source>
        <translation>删除您的标记（Delete）</translation>
    </message>
    <message>
        <source>Clear all</source>
        <translation>全部清除</translation>
    </message>
    <message>
        <source>Remove everyone&apos;s marks (Shift+Delete)</source>
        <translation>删除所有人的标记（Shift+Delete）</translation>
    </message>
    <message>
        <source>Hold this frame to draw on it, then send it (F)</source>
        <translation>冻结此帧以便在上面绘制，然后发送（F）</translation>
    </message>
    <message>
        <source>Send frame</source>
        <translation>发送画面</translation>
    </message>
    <message>
        <source>Send the frozen frame with its drawing to the station (Enter)</source>
        <translation>将冻结的画面连同绘制内容发送到扫查端（回车）</translation>
    </message>
    <message>
        <source>{who} drew a {kind}</source>
        <translation>{who} 绘制了 {kind}</translation>
    </message>
    <message>
        <source>{who} cleared annotations</source>
        <translation>{who} 清除了标注</translation>
    </message>
    <message>
        <source>Cue: {text}</source>
        <translation>指示：{text}</translation>
    </message>
    <message>
        <source>Cue</source>
        <translation>指示</translation>
    </message>
    <message>
        <source>mark</source>
        <extracomment>Event types on the timeline and in the list, with their lane and colour.</extracomment>
        <translation>标记</translation>
    </message>
    <message>
        <source>arrow</source>
        <translation>箭头</translation>
    </message>
    <message>
        <source>freehand line</source>
        <translation>手绘线</translation>
    </message>
    <message>
        <source>ellipse</source>
        <translation>椭圆</translation>
    </message>
    <message>
        <source>box</source>
        <translation>方框</translation>
    </message>
    <message>
        <source>text label</source>
        <translation>文字标注</translation>
    </message>
    <message>
        <source>distance measurement</source>
        <translation>距离测量</translation>
    </message>
    <message>
        <source>area measurement</source>
        <translation>面积测量</translation>
    </message>
    <message>
        <source>Cue: {status} {who}</source>
        <translation>指示：{status} {who}</translation>
    </message>
    <message>
        <source>Marker: {label} ({who})</source>
        <translation>标记点：{label}（{who}）</translation>
    </message>
    <message>
        <source>Snapshot from {who}</source>
        <translation>{who} 发送的画面</translation>
    </message>
    <message>
        <source>Opinion from {who} (version {n})</source>
        <translation>{who} 的意见（第 {n} 版）</translation>
    </message>
    <message>
        <source>{who}: {text}</source>
        <translation>{who}：{text}</translation>
    </message>
    <message>
        <source>{who} joined</source>
        <translation>{who} 已加入</translation>
    </message>
    <message>
        <source>{who} left</source>
        <translation>{who} 已离开</translation>
    </message>
    <message>
        <source>Problem: {message}</source>
        <translation>问题：{message}</translation>
    </message>
    <message>
        <source>Replay — {room} ({who})</source>
        <translation>回放 — {room}（{who}）</translation>
    </message>
    <message>
        <source>Events</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Review</source>
        <translation>质控评审</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>Previous frame (Left arrow)</source>
        <translation>上一帧（左方向键）</translation>
    </message>
    <message>
        <source>Next frame (Right arrow)</source>
        <translation>下一帧（右方向键）</translation>
    </message>
    <message>
        <source>Set A</source>
        <translation>设 A 点</translation>
    </message>
    <message>
        <source>A/B loop: set the start, then the end; again to clear</source>
        <translation>A/B 循环：先设起点，再设终点；再按一次清除</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>秒</translation>
    </message>
    <message>
        <source>Part of this recording could not be read; what is readable is shown.</source>
        <translation>此录像有部分内容无法读取；下面显示可读取的部分。</translation>
    </message>
    <message>
        <source>frame {n}</source>
        <translation>第 {n} 帧</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Set B</source>
        <translation>设 B 点</translation>
    </message>
    <message>
        <source>Clear loop</source>
        <translation>取消循环</translation>
    </message>
    <message>
        <source>This frame as PNG…</source>
        <translation>当前帧存为 PNG…</translation>
    </message>
    <message>
        <source>Clip as MP4 (annotations burned in)…</source>
        <translation>片段存为 MP4（含标注）…</translation>
    </message>
    <message>
        <source>Cues and comments as WebVTT…</source>
        <translation>指示和评语存为 WebVTT 字幕…</translation>
    </message>
    <message>
        <source>DICOM…</source>
        <translation>DICOM…</translation>
    </message>
    <message>
        <source>Review report (HTML)…</source>
        <translation>评审报告（HTML）…</translation>
    </message>
    <message>
        <source>Review report (PDF)…</source>
        <translation>评审报告（PDF）…</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>导出失败</translation>
    </message>
    <message>
        <source>Saved {what}: {path}</source>
        <translation>已保存 {what}：{path}</translation>
    </message>
    <message>
        <source>Save frame</source>
        <translation>保存画面</translation>
    </message>
    <message>
        <source>Save captions</source>
        <translation>保存字幕</translation>
    </message>
    <message>
        <source>Save DICOM</source>
        <translation>保存 DICOM</translation>
    </message>
    <message>
        <source>Save report</source>
        <translation>保存报告</translation>
    </message>
    <message>
        <source>Cannot open the recording</source>
        <translation>无法打开录像</translation>
    </message>
    <message>
        <source>{folder} cannot be replayed: {reason}</source>
        <translation>{folder} 无法回放：{reason}</translation>
    </message>
    <message>
        <source>No recognisable structures; no objective data can be gathered</source>
        <translation>无可辨认结构；无法获得客观资料</translation>
    </message>
    <message>
        <source>Minimally recognisable structures but insufficient for diagnosis</source>
        <translation>结构勉强可辨，但不足以诊断</translation>
    </message>
    <message>
        <source>Minimal criteria met for diagnosis; recognisable structures with some technical flaws</source>
        <translation>达到诊断最低标准；结构可辨，但有一些技术缺陷</translation>
    </message>
    <message>
        <source>Minimal criteria met; all structures imaged well and diagnosis easily supported</source>
        <translation>达到最低标准；所有结构显示良好，足以支持诊断</translation>
    </message>
    <message>
        <source>Minimal criteria met; all structures imaged with excellent quality, diagnosis completely supported</source>
        <translation>达到最低标准；所有结构图像质量优秀，完全支持诊断</translation>
    </message>
    <message>
        <source>No recognisable structures</source>
        <translation>无可辨认结构</translation>
    </message>
    <message>
        <source>Minimally recognisable</source>
        <translation>勉强可辨</translation>
    </message>
    <message>
        <source>Diagnostic, some flaws</source>
        <translation>可诊断，有缺陷</translation>
    </message>
    <message>
        <source>All structures imaged well</source>
        <translation>所有结构显示良好</translation>
    </message>
    <message>
        <source>Excellent</source>
        <translation>优秀</translation>
    </message>
    <message>
        <source>RUQ (hepatorenal)</source>
        <translation>右上腹（肝肾间隙）</translation>
    </message>
    <message>
        <source>LUQ (splenorenal)</source>
        <translation>左上腹（脾肾间隙）</translation>
    </message>
    <message>
        <source>Pelvis (suprapubic)</source>
        <translation>盆腔（耻骨上）</translation>
    </message>
    <message>
        <source>Subxiphoid cardiac</source>
        <translation>剑突下心脏</translation>
    </message>
    <message>
        <source>Right anterior chest (lung sliding)</source>
        <translation>右前胸（肺滑动）</translation>
    </message>
    <message>
        <source>Left anterior chest (lung sliding)</source>
        <translation>左前胸（肺滑动）</translation>
    </message>
    <message>
        <source>Agree</source>
        <translation>同意</translation>
    </message>
    <message>
        <source>Minor disagreement</source>
        <translation>轻微不同意见</translation>
    </message>
    <message>
        <source>Major disagreement</source>
        <translation>重大不同意见</translation>
    </message>
    <message>
        <source>Not assessed</source>
        <translation>未评估</translation>
    </message>
    <message>
        <source>Free list</source>
        <translation>自定义列表</translation>
    </message>
    <message>
        <source>Review:</source>
        <extracomment>A comment&apos;s moment was clicked: seek there (seconds into the recording).</extracomment>
        <translation>评审：</translation>
    </message>
    <message>
        <source>Your name</source>
        <translation>您的姓名</translation>
    </message>
    <message>
        <source>Reviewer</source>
        <translation>评审人</translation>
    </message>
    <message>
        <source>Protocol</source>
        <translation>检查方案</translation>
    </message>
    <message>
        <source>Not scored</source>
        <translation>未评分</translation>
    </message>
    <message>
        <source>Overall quality (ACEP 1-5)</source>
        <translation>总体图像质量（ACEP 1-5）</translation>
    </message>
    <message>
        <source>View</source>
        <translation>切面</translation>
    </message>
    <message>
        <source>Obtained</source>
        <translation>已获取</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation>质量</translation>
    </message>
    <message>
        <source>Add a view (e.g. Gallbladder long axis)</source>
        <translation>添加切面（例如：胆囊长轴）</translation>
    </message>
    <message>
        <source>Add view</source>
        <translation>添加切面</translation>
    </message>
    <message>
        <source>Indication stated</source>
        <translation>已说明检查指征</translation>
    </message>
    <message>
        <source>Images labelled</source>
        <translation>图像已标注</translation>
    </message>
    <message>
        <source>Conclusion written</source>
        <translation>已写结论</translation>
    </message>
    <message>
        <source>Agreement with the interpretation</source>
        <translation>对诊断解读的意见</translation>
    </message>
    <message>
        <source>Comments (double-click one to go to its moment)</source>
        <translation>评语（双击跳到对应时刻）</translation>
    </message>
    <message>
        <source>A comment at the moment on screen</source>
        <translation>针对当前画面时刻的评语</translation>
    </message>
    <message>
        <source>Pin comment</source>
        <translation>添加评语</translation>
    </message>
    <message>
        <source>Summary and teaching points</source>
        <translation>总结与教学要点</translation>
    </message>
    <message>
        <source>Save review</source>
        <translation>保存评审</translation>
    </message>
    <message>
        <source>New review</source>
        <translation>新建评审</translation>
    </message>
    <message>
        <source>Not saved: {reason}</source>
        <translation>未保存：{reason}</translation>
    </message>
    <message>
        <source>Not saved: cannot write to {folder} ({reason}).</source>
        <translation>未保存：无法写入 {folder}（{reason}）。</translation>
    </message>
    <message>
        <source>Saved as {name}.</source>
        <translation>已保存为 {name}。</translation>
    </message>
    <message>
        <source>in use by another program?</source>
        <translation>可能正被其他程序占用？</translation>
    </message>
    <message>
        <source>Test phantom (no scanner)</source>
        <translation>测试体模（无超声设备）</translation>
    </message>
    <message>
        <source>Test card</source>
        <translation>测试卡</translation>
    </message>
    <message>
        <source>Default microphone</source>
        <translation>默认麦克风</translation>
    </message>
    <message>
        <source>Default speaker</source>
        <translation>默认扬声器</translation>
    </message>
    <message>
        <source>No sound</source>
        <translation>无声音</translation>
    </message>
    <message>
        <source>Call ended.</source>
        <translation>会诊已结束。</translation>
    </message>
    <message>
        <source>No picture from this source</source>
        <translation>此来源没有画面</translation>
    </message>
    <message>
        <source>Microphone off (settings)</source>
        <translation>麦克风已关闭（见设置）</translation>
    </message>
    <message>
        <source>No microphone found: the others will not hear you.</source>
        <translation>未找到麦克风：对方将听不到您的声音。</translation>
    </message>
    <message>
        <source>Speak: the bar should move.</source>
        <translation>请说话：音量条应随之跳动。</translation>
    </message>
    <message>
        <source>Testing the connection to the server…</source>
        <translation>正在测试与服务器的连接…</translation>
    </message>
    <message>
        <source>✓ Server reached: {ms:.0f} ms round trip. Good for a consult.</source>
        <translation>✓ 已连接服务器：往返 {ms:.0f} 毫秒。适合会诊。</translation>
    </message>
    <message>
        <source>✓ Server reached: {ms:.0f} ms round trip. Usable; marks may lag.</source>
        <translation>✓ 已连接服务器：往返 {ms:.0f} 毫秒。可以使用，标注可能略有延迟。</translation>
    </message>
    <message>
        <source>! Server reached, but slowly: {ms:.0f} ms round trip. Choose the Weak network quality.</source>
        <translation>! 已连接服务器，但较慢：往返 {ms:.0f} 毫秒。请选择“弱网模式”画质。</translation>
    </message>
    <message>
        <source>not delivered: {reason}</source>
        <translation>未送达：{reason}</translation>
    </message>
    <message>
        <source>sending…</source>
        <translation>发送中…</translation>
    </message>
    <message>
        <source>Write to everyone in the call</source>
        <translation>写给通话中的所有人</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>no report yet</source>
        <translation>尚无报告</translation>
    </message>
    <message>
        <source>reconnecting</source>
        <translation>正在重新连接</translation>
    </message>
    <message>
        <source>Hand up</source>
        <translation>已举手</translation>
    </message>
    <message>
        <source>Speaking</source>
        <translation>正在发言</translation>
    </message>
    <message>
        <source>{fps:.0f} fps · {kbps:.0f} kbps · loss {loss:.1f}%</source>
        <translation>{fps:.0f} 帧/秒 · {kbps:.0f} kbps · 丢包 {loss:.1f}%</translation>
    </message>
    <message>
        <source>Mute</source>
        <translation>静音</translation>
    </message>
    <message>
        <source>Unmute</source>
        <translation>允许发言</translation>
    </message>
    <message>
        <source>Answered</source>
        <translation>已回答</translation>
    </message>
    <message>
        <source>Take the question off the queue</source>
        <translation>将此问题移出队列</translation>
    </message>
    <message>
        <source>Let this trainee speak to everyone</source>
        <translation>让这位学员向所有人发言</translation>
    </message>
    <message>
        <source>Watching: {n}</source>
        <extracomment>(action, trainee peer id or &quot;&quot;, question id or &quot;&quot;)</extracomment>
        <translation>观看：{n}</translation>
    </message>
    <message>
        <source>hands up: {n}</source>
        <translation>举手：{n}</translation>
    </message>
    <message>
        <source>Questions: {n}</source>
        <translation>提问：{n}</translation>
    </message>
    <message>
        <source>No lecture. Start one to let trainees watch through the relay.</source>
        <translation>未在讲课。开始讲课后，学员可通过转发服务器观看。</translation>
    </message>
    <message>
        <source>Lecture on: {n} watching</source>
        <translation>正在讲课：{n} 人观看</translation>
    </message>
    <message>
        <source>{n} with a poor link</source>
        <translation>{n} 人网络较差</translation>
    </message>
    <message>
        <source>Lecture ({n})</source>
        <translation>讲课（{n}）</translation>
    </message>
    <message>
        <source>Lecture</source>
        <translation>讲课</translation>
    </message>
    <message>
        <source>too many questions are waiting; ask again later</source>
        <extracomment>Questions listed (the newest); older ones have been seen already.</extracomment>
        <translation>等待回答的问题太多，请稍后再问</translation>
    </message>
    <message>
        <source>the lecture has ended</source>
        <translation>讲课已结束</translation>
    </message>
    <message>
        <source>sent…</source>
        <translation>已发送…</translation>
    </message>
    <message>
        <source>received by the trainer</source>
        <translation>讲师已收到</translation>
    </message>
    <message>
        <source>refused: {reason}</source>
        <translation>被拒绝：{reason}</translation>
    </message>
    <message>
        <source>Lecture — watching through the relay</source>
        <translation>讲课中 — 通过转发服务器观看</translation>
    </message>
    <message>
        <source>Reconnecting to the lecture…</source>
        <translation>正在重新连接讲课…</translation>
    </message>
    <message>
        <source>Raise hand</source>
        <extracomment>The trainee raised (True) or lowered its hand. A question to send.</extracomment>
        <translation>举手</translation>
    </message>
    <message>
        <source>The trainer sees your raised hand and may unmute you</source>
        <translation>讲师会看到您举手，并可能允许您发言</translation>
    </message>
    <message>
        <source>Ask a question</source>
        <translation>提问</translation>
    </message>
    <message>
        <source>Your question to the trainer</source>
        <translation>向讲师提问</translation>
    </message>
    <message>
        <source>You are unmuted: everyone hears you.</source>
        <translation>您已可以发言：所有人都能听到您。</translation>
    </message>
    <message>
        <source>{name} is speaking.</source>
        <translation>{name} 正在发言。</translation>
    </message>
    <message>
        <source>Only the trainer speaks; raise your hand to be heard.</source>
        <translation>目前只有讲师发言；如需发言请举手。</translation>
    </message>
    <message>
        <source>Lower hand</source>
        <translation>放下手</translation>
    </message>
    <message>
        <source>Start lecture</source>
        <translation>开始讲课</translation>
    </message>
    <message>
        <source>Let many trainees watch through the lecture relay; they can raise hands and ask</source>
        <translation>让多名学员通过讲课转发服务器观看；他们可以举手和提问</translation>
    </message>
    <message>
        <source>Guidance</source>
        <translation>引导</translation>
    </message>
    <message>
        <source>Stopping the lecture…</source>
        <translation>正在结束讲课…</translation>
    </message>
    <message>
        <source>Starting the lecture…</source>
        <translation>正在开始讲课…</translation>
    </message>
    <message>
        <source>Stop lecture</source>
        <translation>结束讲课</translation>
    </message>
    <message>
        <source>relay</source>
        <translation>经转发服务器</translation>
    </message>
    <message>
        <source>The trainer has unmuted you — speak now</source>
        <translation>讲师已允许您发言 — 请讲话</translation>
    </message>
    <message>
        <source>Lecture: {n} watching</source>
        <translation>讲课：{n} 人观看</translation>
    </message>
</context>
</TS>
